// SPDX-License-Identifier: BSD-2-Clause
/* See trace_context.h. */
#include <string.h>

#include "core/trace_context.h"
#include "lib/str.h"

/* W3C: ids are lowercase hex, and all-zero ids are invalid. */
static int lower_hex(char c)
{
	return c >= 'A' && c <= 'F' ? -1 : str_hex_digit((unsigned char)c);
}

static bool hex_bytes(const char *s, uint8_t *out, size_t n)
{
	size_t i;
	bool nonzero = false;

	for (i = 0; i < n; i++) {
		int hi = lower_hex(s[2 * i]), lo = lower_hex(s[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return false;
		out[i] = (uint8_t)(hi << 4 | lo);
		nonzero |= out[i] != 0;
	}
	return nonzero;
}

bool traceparent_parse(const char *tp, uint8_t trace_id[16], uint8_t parent_id[8], uint8_t *flags)
{
	uint8_t version;

	if (strlen(tp) != 55 || tp[2] != '-' || tp[35] != '-' || tp[52] != '-')
		return false;
	if (lower_hex(tp[0]) < 0 || lower_hex(tp[1]) < 0)
		return false;
	version = (uint8_t)(lower_hex(tp[0]) << 4 | lower_hex(tp[1]));
	if (version == 0xff) /* forbidden by the W3C specification */
		return false;
	if (!hex_bytes(tp + 3, trace_id, 16) || !hex_bytes(tp + 36, parent_id, 8))
		return false;
	if (lower_hex(tp[53]) < 0 || lower_hex(tp[54]) < 0)
		return false;
	*flags = (uint8_t)(lower_hex(tp[53]) << 4 | lower_hex(tp[54]));
	return true;
}

/* Everything both sockets of one request agree on. */
struct id_key {
	uint8_t client_addr[16];
	uint8_t server_addr[16];
	uint16_t client_port;
	uint16_t server_port;
	uint32_t client_isn;
	uint64_t index;
	uint64_t salt;
};

/*
 * The two agents at the ends of a connection (often on two nodes) derive the
 * same ids from it, so this hash has no seed and must never change between
 * versions: 64-bit FNV-1a with a murmur-style finish. One call per span.
 */
static uint64_t stable_hash(const void *key, size_t len)
{
	const unsigned char *p = key;
	uint64_t x = 0xcbf29ce484222325ULL;
	size_t i;

	for (i = 0; i < len; i++) {
		x ^= p[i];
		x *= 0x100000001b3ULL;
	}
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	return x;
}

static uint64_t id_part(const struct flow_txn_info *info, uint64_t salt)
{
	struct id_key k;
	uint64_t h;

	memset(&k, 0, sizeof(k));
	memcpy(k.client_addr, info->client_addr, 16);
	memcpy(k.server_addr, info->server_addr, 16);
	k.client_port = info->client_port;
	k.server_port = info->server_port;
	k.client_isn = info->client_isn;
	k.index = info->index;
	k.salt = salt;
	h = stable_hash(&k, sizeof(k));
	return h ? h : 1; /* ids must not be all zero */
}

static void put_u64(uint8_t *out, uint64_t v)
{
	int i;

	for (i = 7; i >= 0; i--, v >>= 8)
		out[i] = (uint8_t)v;
}

void txn_ids(const struct flow_txn_info *info, const struct http1_txn *t, bool server,
	     struct txn_ids *out)
{
	uint8_t header_parent[8], flags = 1;

	memset(out, 0, sizeof(*out));
	out->from_header = t->traceparent[0] &&
			   traceparent_parse(t->traceparent, out->trace_id, header_parent, &flags);
	put_u64(out->span_id, id_part(info, server ? 'S' : 'C'));
	out->flags = flags;
	if (out->from_header) {
		memcpy(out->parent_id, header_parent, 8);
		return;
	}
	put_u64(out->trace_id, id_part(info, 'T'));
	put_u64(out->trace_id + 8, id_part(info, 't'));
	if (server && info->peer_local)
		put_u64(out->parent_id, id_part(info, 'C'));
}
