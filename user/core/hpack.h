/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * HPACK (RFC 7541) header block decoder for one direction of one HTTP/2
 * connection, as a passive observer: it follows the sender's dynamic table
 * so that indexed fields decode to what the peer decodes, and it says when
 * it cannot.
 *
 *   hpack_init(&d);
 *   hpack_decode(&d, block, len, on_field, ctx);   per complete header block
 *   hpack_free(&d);
 *
 * Only the values of the fields meshsight reports are kept, in the table and
 * in callbacks (hpack_value_wanted: pseudo-headers, content-type, grpc-status,
 * grpc-message, traceparent); every other field is reported by name with no
 * value, so cookies and authorization headers never reach memory past the
 * block being decoded. The table's size accounting still uses the real
 * lengths, which is what keeps it in step with the sender's.
 *
 * Once a block cannot be decoded (bytes lost, a table that started before
 * the agent, a malformed block) the decoder is "lost" for good: static-table
 * fields and literals still decode exactly, fields that refer to the dynamic
 * table are reported as HPACK_F_UNKNOWN, so a field is never named wrongly.
 */
#ifndef MESHSIGHT_HPACK_H
#define MESHSIGHT_HPACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HPACK_STATIC_ENTRIES 61
#define HPACK_TABLE_DEFAULT  4096	 /* SETTINGS_HEADER_TABLE_SIZE's initial value */
#define HPACK_TABLE_LIMIT    (64u << 10) /* largest table followed; larger loses sync */
#define HPACK_NAME_MAX	     48		 /* name bytes kept; longer names are not wanted ones */
#define HPACK_VALUE_MAX	     256	 /* value bytes kept of a wanted field; longer are cut */

/* Flags of a decoded field. */
#define HPACK_F_UNKNOWN	  (1u << 0) /* refers to dynamic-table state that was lost */
#define HPACK_F_VALUE_CUT (1u << 1) /* value longer than HPACK_VALUE_MAX: value is a prefix */

/*
 * One field: name/value are not NUL-terminated; value is NULL (vlen 0) for
 * fields whose value is not wanted; both are NULL with HPACK_F_UNKNOWN.
 */
typedef void (*hpack_field_fn)(void *ctx, const char *name, size_t nlen, const char *value,
			       size_t vlen, unsigned flags);

struct hpack_entry {
	uint32_t size;	    /* RFC 7541 4.1: name + value octets + 32 */
	uint32_t name_size; /* the name's real length (nlen may be cut) */
	uint16_t nlen, vlen;
	char *text; /* nlen name bytes then vlen kept value bytes */
};

struct hpack_dec {
	struct hpack_entry *ring; /* capacity entries, newest at (first + count - 1) */
	uint32_t capacity, first, count;
	uint32_t size;	    /* sum of the entries' sizes */
	uint32_t max_size;  /* current table size limit (size updates) */
	bool lost;	    /* dynamic table no longer known */
	uint64_t evictions; /* entries evicted to make room (for tests and stats) */
};

/* Why a block failed; the decoder is lost after any of these. */
enum hpack_error {
	HPACK_OK = 0,
	HPACK_ERR_TRUNCATED = -1, /* block ends inside a field */
	HPACK_ERR_INDEX = -2,	  /* index 0 or past the table */
	HPACK_ERR_HUFFMAN = -3,	  /* invalid Huffman code or padding */
	HPACK_ERR_SIZE = -4,	  /* table size update past HPACK_TABLE_LIMIT */
	HPACK_ERR_NOMEM = -5,
};

void hpack_init(struct hpack_dec *d);
void hpack_free(struct hpack_dec *d);

/* The sync is lost from outside (a header block was not captured). */
void hpack_lose(struct hpack_dec *d);

/* Decodes one whole header block, calling cb per field. HPACK_OK or an hpack_error. */
int hpack_decode(struct hpack_dec *d, const uint8_t *block, size_t len, hpack_field_fn cb,
		 void *ctx);

/* Is this (lowercase) field name one whose value meshsight keeps? */
bool hpack_value_wanted(const char *name, size_t nlen);

/*
 * Huffman-decodes n bytes of src into out (at most outcap bytes kept).
 * Returns the full decoded length, or -1 for an invalid code or padding.
 */
long hpack_huffman_decode(const uint8_t *src, size_t n, char *out, size_t outcap);

#endif /* MESHSIGHT_HPACK_H */
