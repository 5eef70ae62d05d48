// SPDX-License-Identifier: BSD-2-Clause
/*
 * Tier 2: the cgroup skb programs run by BPF_PROG_TEST_RUN over a fixture
 * table of crafted packets. Each row gives the packet and what userspace must
 * receive: the verdict (always 1: meshsight never drops traffic), whether a
 * payload event is sent and with which bytes, and which kernel counter moves.
 *
 * The kernel runs each packet against a fresh dummy socket, so every row is a
 * connection first seen mid-stream (a "lazy" entry), which is exactly the
 * classification path that has to be right without the handshake.
 * Needs root and BTF; run.sh turns "cannot load" into a loud skip.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "meshsight.skel.h"
#include "meshsight_events.h"

#define PKT_MAX 9000

/* One packet through an skb program and what it must do; unset fields are "no". */
struct fixture {
	const char *name;
	bool ipv6;
	bool udp;
	bool fragment;	     /* IPv4 "more fragments" */
	bool tcp_hdr_cut;    /* claim TCP but cut the header short */
	const char *payload; /* NULL: payload_len bytes of 'x' */
	size_t payload_len;  /* with payload: its length (binary), else strlen */
	bool ingress;
	/* expectations */
	bool want_data;	 /* a data event */
	size_t want_cap; /* its cap_len */
	int want_role;	 /* role carried by the data event */
	int moves;	 /* COUNTER(c): counter c must move by one; 0: none is checked */
};

#define COUNTER(c) ((int)(c) + 1)

static struct meshsight_bpf *skel;

struct captured {
	int opens, datas;
	struct ms_data_event data;
	unsigned char bytes[MS_CAPTURE_MAX];
};

static int on_event(void *ctx, void *data, size_t size)
{
	struct captured *c = ctx;
	const struct ms_event_hdr *h = data;

	if (h->type == MS_EV_CONN_OPEN) {
		c->opens++;
	} else if (h->type == MS_EV_DATA && size >= sizeof(struct ms_data_event)) {
		c->datas++;
		memcpy(&c->data, data, sizeof(c->data));
		memcpy(c->bytes, ((struct ms_data_event *)data)->data, c->data.cap_len);
	}
	return 0;
}

static size_t build_l4(const struct fixture *f, unsigned char *p, const unsigned char *payload,
		       size_t plen)
{
	struct tcphdr *th = (struct tcphdr *)p;
	struct udphdr *uh = (struct udphdr *)p;

	if (f->udp) {
		uh->source = htons(5353);
		uh->dest = htons(53);
		uh->len = htons(sizeof(*uh) + plen);
		memcpy(p + sizeof(*uh), payload, plen);
		return sizeof(*uh) + plen;
	}
	if (f->tcp_hdr_cut)
		return 10; /* half a TCP header */
	th->source = htons(40000);
	th->dest = htons(8080);
	th->seq = htonl(1000);
	th->ack_seq = htonl(1);
	th->doff = 5;
	th->ack = 1;
	th->psh = plen > 0;
	memcpy(p + sizeof(*th), payload, plen);
	return sizeof(*th) + plen;
}

static size_t build_packet(const struct fixture *f, unsigned char *pkt)
{
	struct ethhdr *eth = (struct ethhdr *)pkt;
	unsigned char payload[PKT_MAX];
	size_t plen = f->payload && !f->payload_len ? strlen(f->payload) : f->payload_len, l4;
	unsigned char *l3 = pkt + sizeof(*eth);

	if (f->payload)
		memcpy(payload, f->payload, plen);
	else
		memset(payload, 'x', plen);
	memset(pkt, 0, PKT_MAX);
	eth->h_proto = htons(f->ipv6 ? ETH_P_IPV6 : ETH_P_IP);
	if (f->ipv6) {
		struct ipv6hdr *ip6 = (struct ipv6hdr *)l3;

		l4 = build_l4(f, l3 + sizeof(*ip6), payload, plen);
		ip6->version = 6;
		ip6->nexthdr = f->udp ? IPPROTO_UDP : IPPROTO_TCP;
		ip6->hop_limit = 64;
		ip6->payload_len = htons(l4);
		inet_pton(AF_INET6, "fd00::1", &ip6->saddr);
		inet_pton(AF_INET6, "fd00::2", &ip6->daddr);
		return sizeof(*eth) + sizeof(*ip6) + l4;
	}
	struct iphdr *ip = (struct iphdr *)l3;

	l4 = build_l4(f, l3 + sizeof(*ip), payload, plen);
	ip->version = 4;
	ip->ihl = 5;
	ip->ttl = 64;
	ip->protocol = f->udp ? IPPROTO_UDP : IPPROTO_TCP;
	ip->tot_len = htons(sizeof(*ip) + l4);
	ip->frag_off = f->fragment ? htons(0x2000) : 0;
	ip->saddr = htonl(0x0ac80102);
	ip->daddr = htonl(0x0ac80202);
	return sizeof(*eth) + sizeof(*ip) + l4;
}

static uint64_t counter(int which)
{
	int ncpu = libbpf_num_possible_cpus(), i;
	uint64_t vals[ncpu], sum = 0;
	uint32_t key = which;

	assert_int_equal(bpf_map_lookup_elem(bpf_map__fd(skel->maps.counters), &key, vals), 0);
	for (i = 0; i < ncpu; i++)
		sum += vals[i];
	return sum;
}

static void run_fixture(const struct fixture *f)
{
	unsigned char pkt[PKT_MAX];
	struct captured got = {};
	struct bpf_program *prog = skel->progs.ms_skb;
	/* The one program tells the hooks apart by the device a packet came in on. */
	struct __sk_buff ctx = {.ingress_ifindex = f->ingress ? 1 : 0};
	size_t len = build_packet(f, pkt);
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = pkt, .data_size_in = len, .ctx_in = &ctx,
		    .ctx_size_in = sizeof(ctx));
	struct ring_buffer *rb;
	uint64_t before = f->moves ? counter(f->moves - 1) : 0;

	rb = ring_buffer__new(bpf_map__fd(skel->maps.events), on_event, &got, NULL);
	assert_non_null(rb);
	assert_int_equal(bpf_prog_test_run_opts(bpf_program__fd(prog), &opts), 0);
	assert_int_equal(opts.retval, 1); /* never drop traffic */
	ring_buffer__consume(rb);
	ring_buffer__free(rb);

	if (f->moves)
		assert_int_equal(counter(f->moves - 1), before + 1);
	assert_int_equal(got.datas, f->want_data);
	if (!f->want_data)
		return;
	assert_int_equal(got.data.cap_len, f->want_cap);
	assert_int_equal(got.data.seq, 1000);
	assert_int_equal(got.data.dir, f->ingress ? MS_DIR_INGRESS : MS_DIR_EGRESS);
	assert_int_equal(got.data.role, f->want_role);
	if (f->payload)
		assert_memory_equal(got.bytes, f->payload, f->want_cap);
	assert_true(got.opens <= 1);
}

#define GET_REQ	 "GET /api/items?id=7 HTTP/1.1\r\nHost: shop\r\n\r\n"
#define RESP_200 "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"
/* HEADERS, END_STREAM | END_HEADERS, stream 3: :method GET, :path /, :scheme http (static). */
#define H2_HEADERS_FRAME "\x00\x00\x03\x01\x05\x00\x00\x00\x03\x82\x84\x86"

static const struct fixture fixtures[] = {
    {.name = "ipv4 request egress: copied, client",
     .payload = GET_REQ,
     .want_data = true,
     .want_cap = sizeof(GET_REQ) - 1,
     .want_role = MS_ROLE_CLIENT,
     .moves = COUNTER(MS_CNT_CONN_HTTP1)},
    {.name = "ipv4 request ingress: copied, server",
     .payload = GET_REQ,
     .ingress = true,
     .want_data = true,
     .want_cap = sizeof(GET_REQ) - 1,
     .want_role = MS_ROLE_SERVER,
     .moves = COUNTER(MS_CNT_CONN_HTTP1)},
    {.name = "ipv6 request egress",
     .ipv6 = true,
     .payload = GET_REQ,
     .want_data = true,
     .want_cap = sizeof(GET_REQ) - 1,
     .want_role = MS_ROLE_CLIENT,
     .moves = COUNTER(MS_CNT_CONN_HTTP1)},
    {.name = "response ingress mid-stream: local end is the client",
     .payload = RESP_200,
     .ingress = true,
     .want_data = true,
     .want_cap = sizeof(RESP_200) - 1,
     .want_role = MS_ROLE_CLIENT,
     .moves = COUNTER(MS_CNT_CONN_HTTP1)},
    {.name = "split method: prefix sent as partial",
     .payload = "GE",
     .want_data = true,
     .want_cap = 2,
     .want_role = MS_ROLE_UNKNOWN},
    {.name = "TLS ClientHello: not copied", .payload = "\x16\x03\x01\x02\x00\x01"},
    {.name = "HTTP/2 preface egress: copied, client",
     .payload = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
     .want_data = true,
     .want_cap = 24,
     .want_role = MS_ROLE_CLIENT,
     .moves = COUNTER(MS_CNT_CONN_HTTP2)},
    {.name = "HTTP/2 preface ingress: copied, server",
     .payload = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
     .ingress = true,
     .want_data = true,
     .want_cap = 24,
     .want_role = MS_ROLE_SERVER,
     .moves = COUNTER(MS_CNT_CONN_HTTP2)},
    {.name = "HTTP/2 HEADERS frame mid-stream (no preface seen): copied",
     .payload = H2_HEADERS_FRAME,
     .payload_len = sizeof(H2_HEADERS_FRAME) - 1,
     .want_data = true,
     .want_cap = sizeof(H2_HEADERS_FRAME) - 1,
     .want_role = MS_ROLE_UNKNOWN,
     .moves = COUNTER(MS_CNT_CONN_HTTP2)},
    {.name = "binary that is no HTTP/2 frame (a TLS record): not copied",
     .payload = "\x16\x03\x03\x00\x40\x01\x00\x00\x3c",
     .payload_len = 9},
    {.name = "\"PRI \" that is not the preface: not copied", .payload = "PRI * HTTP/1.1\r\n\r\n"},
    {.name = "lowercase method: not HTTP", .payload = "get / HTTP/1.1\r\n\r\n"},
    {.name = "pure ACK: nothing", .payload = ""},
    {.name = "truncated TCP header: counted malformed",
     .tcp_hdr_cut = true,
     .payload = "",
     .ingress = true,
     .moves = COUNTER(MS_CNT_MALFORMED_PKT)},
    {.name = "UDP: ignored", .udp = true, .payload = "GET / HTTP/1.1\r\n\r\n"},
    {.name = "IPv4 fragment: ignored", .fragment = true, .payload = GET_REQ},
};

static void test_fixture_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(fixtures) / sizeof(fixtures[0]); i++) {
		print_message("  fixture: %s\n", fixtures[i].name);
		run_fixture(&fixtures[i]);
	}
}

/* A request larger than the capture limit: head copied, length kept, counter moved. */
static void test_capture_limit(void **state)
{
	static char big[3000];
	struct fixture f = {.name = "big GET",
			    .payload = big,
			    .want_data = true,
			    .want_cap = 1024,
			    .want_role = MS_ROLE_CLIENT,
			    .moves = COUNTER(MS_CNT_CAPTURE_TRUNCATED)};

	(void)state;
	memset(big, 'a', sizeof(big) - 1);
	memcpy(big, "POST /upload HTTP/1.1\r\n", 23);
	run_fixture(&f);
}

static int setup(void **state)
{
	(void)state;
	skel = meshsight_bpf__open();
	if (!skel)
		return -1;
	skel->rodata->cfg_capture_bytes = 1024;
	if (meshsight_bpf__load(skel)) {
		meshsight_bpf__destroy(skel);
		return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	meshsight_bpf__destroy(skel);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_fixture_table),
	    cmocka_unit_test(test_capture_limit),
	};

	return cmocka_run_group_tests_name("bpf_prog_test", tests, setup, teardown);
}
