/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Locate the TCP payload of a packet seen by a cgroup skb hook.
 *
 * In cgroup skb programs the packet starts at the IP header. Offsets are read
 * with bpf_skb_load_bytes, which also works for non-linear (GSO, paged)
 * packets. The payload length comes from skb->len, not the IP length field:
 * ingress packets are already trimmed to it, and a BIG TCP GSO packet has a
 * zero IPv4 total length.
 */
#ifndef MESHSIGHT_PROTO_TCP_H
#define MESHSIGHT_PROTO_TCP_H

#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#define MS_ETH_P_IP    0x0800
#define MS_ETH_P_IPV6  0x86DD
#define MS_IPPROTO_TCP 6
#define MS_IP_MF       0x2000
#define MS_IP_OFFSET   0x1FFF

struct tcp_segment {
	__u32 seq;	   /* sequence number of the first payload byte */
	__u32 payload_off; /* from the start of the IP header */
	__u32 payload_len;
	__u8 syn;
};

/* Drop the segment's first skip (< payload_len) bytes: already accounted for. */
static __always_inline void tcp_segment_trim(struct tcp_segment *seg, __u32 skip)
{
	if (skip > seg->payload_len)
		skip = seg->payload_len;
	seg->seq += skip;
	seg->payload_off += skip;
	seg->payload_len -= skip;
}

enum tcp_parse_result {
	TCP_PARSE_OK = 0,
	TCP_PARSE_NOT_TCP = 1,	 /* other protocol, fragment or IPv6 extension header */
	TCP_PARSE_MALFORMED = 2, /* headers shorter than they claim */
};

static __always_inline int parse_ipv4(struct __sk_buff *skb, __u32 *l4_off)
{
	struct iphdr iph;

	if (bpf_skb_load_bytes(skb, 0, &iph, sizeof(iph)))
		return TCP_PARSE_MALFORMED;
	if (iph.version != 4 || iph.ihl < 5)
		return TCP_PARSE_MALFORMED;
	if (iph.protocol != MS_IPPROTO_TCP)
		return TCP_PARSE_NOT_TCP;
	/* A fragment's payload is not a segment's payload. */
	if (bpf_ntohs(iph.frag_off) & (MS_IP_MF | MS_IP_OFFSET))
		return TCP_PARSE_NOT_TCP;
	*l4_off = iph.ihl * 4;
	return TCP_PARSE_OK;
}

static __always_inline int parse_ipv6(struct __sk_buff *skb, __u32 *l4_off)
{
	struct ipv6hdr ip6h;

	if (bpf_skb_load_bytes(skb, 0, &ip6h, sizeof(ip6h)))
		return TCP_PARSE_MALFORMED;
	if (ip6h.version != 6)
		return TCP_PARSE_MALFORMED;
	/* Extension headers before TCP are rare on pod traffic; not followed. */
	if (ip6h.nexthdr != MS_IPPROTO_TCP)
		return TCP_PARSE_NOT_TCP;
	*l4_off = sizeof(ip6h);
	return TCP_PARSE_OK;
}

static __always_inline int parse_tcp_segment_slow(struct __sk_buff *skb, struct tcp_segment *seg)
{
	struct tcphdr th;
	__u32 l4_off = 0;
	__u32 hdr_len;
	int ret;

	if (skb->protocol == bpf_htons(MS_ETH_P_IP))
		ret = parse_ipv4(skb, &l4_off);
	else if (skb->protocol == bpf_htons(MS_ETH_P_IPV6))
		ret = parse_ipv6(skb, &l4_off);
	else
		return TCP_PARSE_NOT_TCP;
	if (ret != TCP_PARSE_OK)
		return ret;

	if (bpf_skb_load_bytes(skb, l4_off, &th, sizeof(th)))
		return TCP_PARSE_MALFORMED;
	hdr_len = th.doff * 4;
	if (hdr_len < sizeof(th) || l4_off + hdr_len > skb->len)
		return TCP_PARSE_MALFORMED;

	seg->seq = bpf_ntohl(th.seq);
	seg->payload_off = l4_off + hdr_len;
	seg->payload_len = skb->len - seg->payload_off;
	seg->syn = th.syn;
	return TCP_PARSE_OK;
}

/*
 * The same from the linear head by direct packet access (1 ns instead of
 * ~17 ns a bpf_skb_load_bytes call): the headers of a socket's own packets
 * are always there. Anything unusual takes the helper path above.
 */
static __always_inline int parse_tcp_segment(struct __sk_buff *skb, struct tcp_segment *seg)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct tcphdr *th;
	__u32 l4_off, hdr_len;

	if (skb->protocol == bpf_htons(MS_ETH_P_IP)) {
		struct iphdr *ip = data;

		if ((void *)(ip + 1) > data_end || ip->version != 4 || ip->ihl < 5 ||
		    ip->protocol != MS_IPPROTO_TCP ||
		    (ip->frag_off & bpf_htons(MS_IP_MF | MS_IP_OFFSET)))
			return parse_tcp_segment_slow(skb, seg);
		l4_off = ip->ihl * 4;
	} else if (skb->protocol == bpf_htons(MS_ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = data;

		if ((void *)(ip6 + 1) > data_end || ip6->nexthdr != MS_IPPROTO_TCP)
			return parse_tcp_segment_slow(skb, seg);
		l4_off = sizeof(*ip6);
	} else {
		return TCP_PARSE_NOT_TCP;
	}
	th = data + l4_off;
	if ((void *)(th + 1) > data_end)
		return parse_tcp_segment_slow(skb, seg);
	hdr_len = th->doff * 4;
	if (hdr_len < sizeof(*th) || l4_off + hdr_len > skb->len)
		return parse_tcp_segment_slow(skb, seg);
	seg->seq = bpf_ntohl(th->seq);
	seg->payload_off = l4_off + hdr_len;
	seg->payload_len = skb->len - seg->payload_off;
	seg->syn = th->syn;
	return TCP_PARSE_OK;
}

/* a - b as a signed distance in sequence space (RFC 1982 style). */
static __always_inline __s32 seq_diff(__u32 a, __u32 b)
{
	return (__s32)(a - b);
}

#endif /* MESHSIGHT_PROTO_TCP_H */
