// SPDX-License-Identifier: BSD-2-Clause
/*
 * See hpack.h. The static table and the Huffman code are RFC 7541's
 * Appendix A and B. The code is canonical (codes of one length are
 * consecutive, shorter codes sort first), so decoding needs only the count
 * of codes per length and the symbols in code order: one comparison per
 * input bit, about 8 ns per decoded byte, paid only for header blocks (a
 * few hundred bytes a request), never for DATA.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/hpack.h"

#define HUFF_LEN_MAX 30
#define HUFF_EOS     256
#define INT_MAX_VAL  (1u << 28) /* larger integers are not sane in a header block */

struct hpack_static_entry {
	const char *name, *value;
};

/* Codes of each length 0..30 (RFC 7541 Appendix B: a canonical code). */
static const uint16_t huff_count[HUFF_LEN_MAX + 1] = {0,  0,  0,  0, 0,	 10, 26, 32, 6, 0, 5,
						      3,  2,  6,  2, 3,	 0,  0,	 0,  3, 8, 13,
						      26, 29, 12, 4, 15, 19, 29, 0,  4};
/* Symbols in code order: by length, then by code. 256 is EOS. */
static const uint16_t huff_symbols[257] = {
    48,	 49,  50,  97,	99,  101, 105, 111, 115, 116, 32,  37,	45,  46,  47,  51,  52,	 53,  54,
    55,	 56,  57,  61,	65,  95,  98,  100, 102, 103, 104, 108, 109, 110, 112, 114, 117, 58,  66,
    67,	 68,  69,  70,	71,  72,  73,  74,  75,	 76,  77,  78,	79,  80,  81,  82,  83,	 84,  85,
    86,	 87,  89,  106, 107, 113, 118, 119, 120, 121, 122, 38,	42,  44,  59,  88,  90,	 33,  34,
    40,	 41,  63,  39,	43,  124, 35,  62,  0,	 36,  64,  91,	93,  126, 94,  125, 60,	 96,  123,
    92,	 195, 208, 128, 130, 131, 162, 184, 194, 224, 226, 153, 161, 167, 172, 176, 177, 179, 209,
    216, 217, 227, 229, 230, 129, 132, 133, 134, 136, 146, 154, 156, 160, 163, 164, 169, 170, 173,
    178, 181, 185, 186, 187, 189, 190, 196, 198, 228, 232, 233, 1,   135, 137, 138, 139, 140, 141,
    143, 147, 149, 150, 151, 152, 155, 157, 158, 165, 166, 168, 174, 175, 180, 182, 183, 188, 191,
    197, 231, 239, 9,	142, 144, 145, 148, 159, 171, 206, 215, 225, 236, 237, 199, 207, 234, 235,
    192, 193, 200, 201, 202, 205, 210, 213, 218, 219, 238, 240, 242, 243, 255, 203, 204, 211, 212,
    214, 221, 222, 223, 241, 244, 245, 246, 247, 248, 250, 251, 252, 253, 254, 2,   3,	 4,   5,
    6,	 7,   8,   11,	12,  14,  15,  16,  17,	 18,  19,  20,	21,  23,  24,  25,  26,	 27,  28,
    29,	 30,  31,  127, 220, 249, 10,  13,  22,	 256};
static const struct hpack_static_entry static_table[HPACK_STATIC_ENTRIES] = {
    {":authority", ""},
    {":method", "GET"},
    {":method", "POST"},
    {":path", "/"},
    {":path", "/index.html"},
    {":scheme", "http"},
    {":scheme", "https"},
    {":status", "200"},
    {":status", "204"},
    {":status", "206"},
    {":status", "304"},
    {":status", "400"},
    {":status", "404"},
    {":status", "500"},
    {"accept-charset", ""},
    {"accept-encoding", "gzip, deflate"},
    {"accept-language", ""},
    {"accept-ranges", ""},
    {"accept", ""},
    {"access-control-allow-origin", ""},
    {"age", ""},
    {"allow", ""},
    {"authorization", ""},
    {"cache-control", ""},
    {"content-disposition", ""},
    {"content-encoding", ""},
    {"content-language", ""},
    {"content-length", ""},
    {"content-location", ""},
    {"content-range", ""},
    {"content-type", ""},
    {"cookie", ""},
    {"date", ""},
    {"etag", ""},
    {"expect", ""},
    {"expires", ""},
    {"from", ""},
    {"host", ""},
    {"if-match", ""},
    {"if-modified-since", ""},
    {"if-none-match", ""},
    {"if-range", ""},
    {"if-unmodified-since", ""},
    {"last-modified", ""},
    {"link", ""},
    {"location", ""},
    {"max-forwards", ""},
    {"proxy-authenticate", ""},
    {"proxy-authorization", ""},
    {"range", ""},
    {"referer", ""},
    {"refresh", ""},
    {"retry-after", ""},
    {"server", ""},
    {"set-cookie", ""},
    {"strict-transport-security", ""},
    {"transfer-encoding", ""},
    {"user-agent", ""},
    {"vary", ""},
    {"via", ""},
    {"www-authenticate", ""},
};

/* ---- the dynamic table ---- */

void hpack_init(struct hpack_dec *d)
{
	memset(d, 0, sizeof(*d));
	d->max_size = HPACK_TABLE_DEFAULT;
}

static void table_clear(struct hpack_dec *d)
{
	uint32_t i;

	for (i = 0; i < d->count; i++)
		free(d->ring[(d->first + i) % d->capacity].text);
	d->first = d->count = d->size = 0;
}

void hpack_free(struct hpack_dec *d)
{
	table_clear(d);
	free(d->ring);
	d->ring = NULL;
	d->capacity = 0;
}

void hpack_lose(struct hpack_dec *d)
{
	table_clear(d);
	d->lost = true;
}

static void evict_oldest(struct hpack_dec *d)
{
	struct hpack_entry *e = &d->ring[d->first];

	d->size -= e->size;
	free(e->text);
	e->text = NULL;
	d->first = (d->first + 1) % d->capacity;
	d->count--;
	d->evictions++;
}

static void evict_to(struct hpack_dec *d, uint32_t room)
{
	while (d->count && d->size > room)
		evict_oldest(d);
}

/* Doubles the ring, keeping entries in order from index 0. */
static int ring_grow(struct hpack_dec *d)
{
	uint32_t cap = d->capacity ? d->capacity * 2 : 16, i;
	struct hpack_entry *ring = calloc(cap, sizeof(*ring));

	if (!ring)
		return -ENOMEM;
	for (i = 0; i < d->count; i++)
		ring[i] = d->ring[(d->first + i) % d->capacity];
	free(d->ring);
	d->ring = ring;
	d->capacity = cap;
	d->first = 0;
	return 0;
}

/* size is the real entry size, name_size the name's; name and value are what is kept. */
static int table_insert(struct hpack_dec *d, const char *name, size_t nlen, uint32_t name_size,
			const char *value, size_t vlen, uint32_t size)
{
	struct hpack_entry *e;
	char *text;

	if (size > d->max_size) {
		table_clear(d); /* RFC 7541 4.4: an entry larger than the table empties it */
		return 0;
	}
	evict_to(d, d->max_size - size);
	if (d->count == d->capacity && ring_grow(d))
		return -ENOMEM;
	text = malloc(nlen + vlen + 1);
	if (!text)
		return -ENOMEM;
	memcpy(text, name, nlen);
	if (vlen)
		memcpy(text + nlen, value, vlen);
	e = &d->ring[(d->first + d->count) % d->capacity];
	e->size = size;
	e->name_size = name_size;
	e->nlen = (uint16_t)nlen;
	e->vlen = (uint16_t)vlen;
	e->text = text;
	d->count++;
	d->size += size;
	return 0;
}

/* ---- primitives ---- */

struct cursor {
	const uint8_t *p, *end;
};

/* RFC 7541 5.1: an integer with an n-bit prefix. */
static int read_int(struct cursor *c, unsigned n, uint32_t *out)
{
	uint32_t mask = (1u << n) - 1, v, shift = 0;
	uint8_t b;

	if (c->p >= c->end)
		return HPACK_ERR_TRUNCATED;
	v = *c->p++ & mask;
	if (v < mask)
		goto done;
	do {
		if (c->p >= c->end)
			return HPACK_ERR_TRUNCATED;
		b = *c->p++;
		if (shift > 21)
			return HPACK_ERR_INDEX; /* past INT_MAX_VAL */
		v += (uint32_t)(b & 0x7f) << shift;
		shift += 7;
	} while (b & 0x80);
	if (v > INT_MAX_VAL)
		return HPACK_ERR_INDEX;
done:
	*out = v;
	return HPACK_OK;
}

long hpack_huffman_decode(const uint8_t *src, size_t n, char *out, size_t outcap)
{
	uint32_t code = 0, first = 0, offset = 0, len = 0, bits_since_sym = 0, ones = 1;
	long produced = 0;
	size_t i;
	int bit;

	for (i = 0; i < n; i++) {
		for (bit = 7; bit >= 0; bit--) {
			uint32_t b = (src[i] >> bit) & 1;

			code = (code << 1) | b;
			len++;
			bits_since_sym++;
			ones &= b;
			/* first: the first code of this length; offset: its symbol index. */
			if (code - first < huff_count[len]) {
				uint16_t sym = huff_symbols[offset + code - first];

				if (sym == HUFF_EOS)
					return -1; /* RFC 7541 5.2: EOS in a string is an error */
				if ((size_t)produced < outcap)
					out[produced] = (char)sym;
				produced++;
				code = first = offset = len = bits_since_sym = 0;
				ones = 1;
				continue;
			}
			offset += huff_count[len];
			first = (first + huff_count[len]) << 1;
			if (len >= HUFF_LEN_MAX)
				return -1;
		}
	}
	/* Padding: fewer than 8 bits, all ones (a prefix of EOS). */
	if (bits_since_sym > 7 || !ones)
		return -1;
	return produced;
}

/*
 * RFC 7541 5.2: a string literal, decoded into out (at most outcap bytes
 * kept). *full gets its decoded length.
 */
static int read_string(struct cursor *c, char *out, size_t outcap, size_t *kept, size_t *full)
{
	bool huffman;
	uint32_t n;
	long dec;
	int err;

	if (c->p >= c->end)
		return HPACK_ERR_TRUNCATED;
	huffman = *c->p & 0x80;
	err = read_int(c, 7, &n);
	if (err)
		return err;
	if ((size_t)(c->end - c->p) < n)
		return HPACK_ERR_TRUNCATED;
	if (huffman) {
		dec = hpack_huffman_decode(c->p, n, out, outcap);
		if (dec < 0)
			return HPACK_ERR_HUFFMAN;
		*full = (size_t)dec;
	} else {
		*full = n;
		if (outcap)
			memcpy(out, c->p, n < outcap ? n : outcap);
	}
	*kept = *full < outcap ? *full : outcap;
	c->p += n;
	return HPACK_OK;
}

bool hpack_value_wanted(const char *name, size_t nlen)
{
	static const char *const wanted[] = {":method",	     ":path",	    ":status",
					     "content-type", "grpc-status", "grpc-message",
					     "traceparent"};
	size_t i;

	for (i = 0; i < sizeof(wanted) / sizeof(wanted[0]); i++)
		if (strlen(wanted[i]) == nlen && !memcmp(wanted[i], name, nlen))
			return true;
	return false;
}

/* ---- fields ---- */

/* A field as looked up or decoded: pointers into the tables or the buffers below. */
struct field {
	const char *name, *value;
	size_t nlen, vlen;   /* kept */
	size_t nfull, vfull; /* real lengths, for the entry size */
	unsigned flags;
	char nbuf[HPACK_NAME_MAX];
	char vbuf[HPACK_VALUE_MAX];
};

/* Index 1..61 is the static table, 62.. the dynamic table from its newest entry. */
static int lookup(const struct hpack_dec *d, uint32_t index, struct field *f)
{
	const struct hpack_entry *e;

	if (index == 0)
		return HPACK_ERR_INDEX;
	if (index <= HPACK_STATIC_ENTRIES) {
		f->name = static_table[index - 1].name;
		f->value = static_table[index - 1].value;
		f->nlen = f->nfull = strlen(f->name);
		f->vlen = f->vfull = strlen(f->value);
		return HPACK_OK;
	}
	if (d->lost) {
		f->flags |= HPACK_F_UNKNOWN;
		return HPACK_OK;
	}
	index -= HPACK_STATIC_ENTRIES + 1;
	if (index >= d->count)
		return HPACK_ERR_INDEX;
	e = &d->ring[(d->first + d->count - 1 - index) % d->capacity];
	f->name = e->text;
	f->nlen = e->nlen;
	f->nfull = e->name_size;
	f->value = e->text + e->nlen;
	f->vlen = e->vlen;
	f->vfull = e->size - 32 - e->name_size; /* the sizes keep the real lengths */
	return HPACK_OK;
}

static void emit(hpack_field_fn cb, void *ctx, const struct field *f)
{
	bool want;

	if (f->flags & HPACK_F_UNKNOWN) {
		cb(ctx, NULL, 0, NULL, 0, f->flags);
		return;
	}
	want = hpack_value_wanted(f->name, f->nlen);
	cb(ctx, f->name, f->nlen, want ? f->value : NULL, want ? f->vlen : 0,
	   f->flags | (want && f->vlen < f->vfull ? HPACK_F_VALUE_CUT : 0));
}

/* A literal field; prefix bits of its index, and whether it enters the table. */
static int literal(struct hpack_dec *d, struct cursor *c, unsigned prefix, bool indexing,
		   hpack_field_fn cb, void *ctx)
{
	struct field f = {0};
	uint32_t index;
	size_t cap;
	int err;

	err = read_int(c, prefix, &index);
	if (err)
		return err;
	if (index) {
		err = lookup(d, index, &f);
	} else {
		err = read_string(c, f.nbuf, sizeof(f.nbuf), &f.nlen, &f.nfull);
		f.name = f.nbuf;
	}
	if (err)
		return err;
	cap =
	    !(f.flags & HPACK_F_UNKNOWN) && hpack_value_wanted(f.name, f.nlen) ? sizeof(f.vbuf) : 0;
	err = read_string(c, f.vbuf, cap, &f.vlen, &f.vfull);
	if (err)
		return err;
	f.value = f.vbuf;
	emit(cb, ctx, &f);
	if (!indexing || d->lost)
		return HPACK_OK;
	/* f.name may point into an entry the insert evicts: copy it first. */
	if (f.name != f.nbuf) {
		memcpy(f.nbuf, f.name, f.nlen);
		f.name = f.nbuf;
	}
	return table_insert(d, f.name, f.nlen, (uint32_t)f.nfull, f.value, f.vlen,
			    (uint32_t)(f.nfull + f.vfull + 32))
		   ? HPACK_ERR_NOMEM
		   : HPACK_OK;
}

static int indexed(struct hpack_dec *d, struct cursor *c, hpack_field_fn cb, void *ctx)
{
	struct field f = {0};
	uint32_t index;
	int err;

	err = read_int(c, 7, &index);
	if (!err)
		err = lookup(d, index, &f);
	if (!err)
		emit(cb, ctx, &f);
	return err;
}

static int size_update(struct hpack_dec *d, struct cursor *c)
{
	uint32_t size;
	int err = read_int(c, 5, &size);

	if (err)
		return err;
	if (size > HPACK_TABLE_LIMIT)
		return HPACK_ERR_SIZE;
	d->max_size = size;
	evict_to(d, size);
	return HPACK_OK;
}

static int one_field(struct hpack_dec *d, struct cursor *c, hpack_field_fn cb, void *ctx)
{
	uint8_t b = *c->p;

	if (b & 0x80)
		return indexed(d, c, cb, ctx);
	if (b & 0x40)
		return literal(d, c, 6, true, cb, ctx);
	if (b & 0x20)
		return size_update(d, c);
	return literal(d, c, 4, false, cb, ctx); /* without indexing, or never indexed */
}

int hpack_decode(struct hpack_dec *d, const uint8_t *block, size_t len, hpack_field_fn cb,
		 void *ctx)
{
	struct cursor c = {block, block ? block + len : block};
	int err;

	while (c.p < c.end) {
		err = one_field(d, &c, cb, ctx);
		if (err) {
			hpack_lose(d);
			return err;
		}
	}
	return HPACK_OK;
}
