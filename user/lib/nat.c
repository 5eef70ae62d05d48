// SPDX-License-Identifier: BSD-2-Clause
/* See nat.h. Uses libnetfilter_conntrack's query API (NFCT_Q_GET). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include <libnetfilter_conntrack/libnetfilter_conntrack.h>

#include "lib/nat.h"
#include "lib/addr.h"

struct nat_lookup {
	struct nfct_handle *h;
	struct nat_stats stats;
	/* The original tuple asked about, to check the answer against. */
	uint8_t want_src[16];
	uint16_t want_sport;
	/* Filled by the query callback. */
	int found;
	uint8_t reply_src[16];
	uint16_t reply_sport;
};

static void orig_src(const struct nf_conntrack *ct, uint8_t out[16])
{
	memset(out, 0, 16);
	if (nfct_get_attr_u8(ct, ATTR_ORIG_L3PROTO) == AF_INET) {
		uint32_t v4 = nfct_get_attr_u32(ct, ATTR_ORIG_IPV4_SRC);

		addr_from_v4(out, v4);
	} else {
		memcpy(out, nfct_get_attr(ct, ATTR_ORIG_IPV6_SRC), 16);
	}
}

/*
 * The answer to a GET. It must return NFCT_CB_CONTINUE: the kernel follows
 * the entry with an ACK, and stopping at the entry leaves that ACK in the
 * socket, where the next query would read it as its own (empty) answer and
 * the one after would get this connection's entry. An entry for another
 * tuple than the one asked about is ignored for the same reason.
 */
static int on_entry(enum nf_conntrack_msg_type type, struct nf_conntrack *ct, void *data)
{
	struct nat_lookup *n = data;
	uint8_t src[16];

	(void)type;
	orig_src(ct, src);
	if (memcmp(src, n->want_src, 16) ||
	    ntohs(nfct_get_attr_u16(ct, ATTR_ORIG_PORT_SRC)) != n->want_sport)
		return NFCT_CB_CONTINUE;
	memset(n->reply_src, 0, sizeof(n->reply_src));
	if (nfct_get_attr_u8(ct, ATTR_REPL_L3PROTO) == AF_INET) {
		uint32_t v4 = nfct_get_attr_u32(ct, ATTR_REPL_IPV4_SRC);

		addr_from_v4(n->reply_src, v4);
	} else {
		memcpy(n->reply_src, nfct_get_attr(ct, ATTR_REPL_IPV6_SRC), 16);
	}
	n->reply_sport = ntohs(nfct_get_attr_u16(ct, ATTR_REPL_PORT_SRC));
	n->found = 1;
	return NFCT_CB_CONTINUE;
}

int nat_open(struct nat_lookup **out)
{
	struct nat_lookup *n = calloc(1, sizeof(*n));

	if (!n)
		return -ENOMEM;
	n->h = nfct_open(CONNTRACK, 0);
	if (!n->h) {
		int err = errno ? -errno : -EPERM;

		free(n);
		return err;
	}
	nfct_callback_register(n->h, NFCT_T_ALL, on_entry, n);
	*out = n;
	return 0;
}

void nat_close(struct nat_lookup *n)
{
	if (!n)
		return;
	nfct_close(n->h);
	free(n);
}

static void set_orig_tuple(struct nf_conntrack *ct, const uint8_t src[16], uint16_t sport,
			   const uint8_t dst[16], uint16_t dport)
{
	if (addr_is_v4(src)) {
		uint32_t s, d;

		memcpy(&s, src + 12, 4);
		memcpy(&d, dst + 12, 4);
		nfct_set_attr_u8(ct, ATTR_L3PROTO, AF_INET);
		nfct_set_attr_u32(ct, ATTR_IPV4_SRC, s);
		nfct_set_attr_u32(ct, ATTR_IPV4_DST, d);
	} else {
		nfct_set_attr_u8(ct, ATTR_L3PROTO, AF_INET6);
		nfct_set_attr(ct, ATTR_IPV6_SRC, src);
		nfct_set_attr(ct, ATTR_IPV6_DST, dst);
	}
	nfct_set_attr_u8(ct, ATTR_L4PROTO, IPPROTO_TCP);
	nfct_set_attr_u16(ct, ATTR_PORT_SRC, htons(sport));
	nfct_set_attr_u16(ct, ATTR_PORT_DST, htons(dport));
}

int nat_real_destination(struct nat_lookup *n, const uint8_t src[16], uint16_t sport,
			 const uint8_t dst[16], uint16_t dport, uint8_t real_addr[16],
			 uint16_t *real_port)
{
	struct nf_conntrack *ct = nfct_new();
	int ret;

	if (!ct) {
		n->stats.errors++;
		return -ENOMEM;
	}
	set_orig_tuple(ct, src, sport, dst, dport);
	memcpy(n->want_src, src, 16);
	n->want_sport = sport;
	n->found = 0;
	n->stats.queries++;
	ret = nfct_query(n->h, NFCT_Q_GET, ct);
	nfct_destroy(ct);
	if (ret < 0 || !n->found) {
		if (errno == ENOENT || (ret >= 0 && !n->found))
			n->stats.not_found++;
		else
			n->stats.errors++;
		return -ENOENT;
	}
	memcpy(real_addr, n->reply_src, 16);
	*real_port = n->reply_sport;
	if (memcmp(real_addr, dst, 16) || *real_port != dport)
		n->stats.rewritten++;
	return 0;
}

void nat_get_stats(const struct nat_lookup *n, struct nat_stats *out)
{
	*out = n->stats;
}
