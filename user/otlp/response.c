// SPDX-License-Identifier: BSD-2-Clause
/*
 * The one message collectors send back: Export*ServiceResponse and its
 * partial_success. The body is hostile: every length is checked against what
 * is left, and anything malformed is -EINVAL.
 */
#include "otlp/wire.h"

/* --- responses ------------------------------------------------------------- */

/* The message ends up in logs: control bytes from a peer must not reach them. */
static void copy_msg(char *msg, size_t msglen, const char *s, size_t n)
{
	size_t i;

	if (!msg || !msglen)
		return;
	if (n > msglen - 1)
		n = msglen - 1;
	for (i = 0; i < n; i++) {
		uint8_t c = (uint8_t)s[i];

		msg[i] = c < 0x20 || c == 0x7f ? '?' : (char)c;
	}
	msg[n] = '\0';
}

struct pb_cur {
	const uint8_t *p, *end;
};

static int pb_read_varint(struct pb_cur *c, uint64_t *v)
{
	unsigned shift;
	uint8_t byte;

	*v = 0;
	for (shift = 0; shift < 70; shift += 7) {
		if (c->p == c->end)
			return -EINVAL;
		byte = *c->p++;
		/* The tenth byte holds only bit 63. */
		if (shift == 63 && byte > 1)
			return -EINVAL;
		*v |= (uint64_t)(byte & 0x7f) << shift;
		if (!(byte & 0x80))
			return 0;
	}
	return -EINVAL;
}

static int pb_read_key(struct pb_cur *c, uint32_t *field, enum pb_wire *wt)
{
	uint64_t key;
	int err = pb_read_varint(c, &key);

	if (err)
		return err;
	if (key >> 3 == 0 || key >> 3 > 0x1fffffff)
		return -EINVAL;
	*field = (uint32_t)(key >> 3);
	*wt = (enum pb_wire)(key & 7);
	return 0;
}

static int pb_advance(struct pb_cur *c, uint64_t n)
{
	if (n > (uint64_t)(c->end - c->p))
		return -EINVAL;
	c->p += n;
	return 0;
}

/* A length-delimited field: sub gets its body, c moves past it. */
static int pb_read_len(struct pb_cur *c, struct pb_cur *sub)
{
	uint64_t n;
	int err = pb_read_varint(c, &n);

	if (err)
		return err;
	sub->p = c->p;
	err = pb_advance(c, n);
	sub->end = c->p;
	return err;
}

static int pb_skip(struct pb_cur *c, uint32_t field, enum pb_wire wt, unsigned depth);

/* Skips fields up to the end-group tag that closes the group opened by field. */
static int pb_skip_group(struct pb_cur *c, uint32_t field, unsigned depth)
{
	enum pb_wire wt;
	uint32_t f;
	int err;

	if (depth >= PB_GROUP_MAX_DEPTH)
		return -EINVAL;
	for (;;) {
		err = pb_read_key(c, &f, &wt);
		if (err)
			return err;
		if (wt == PB_EGROUP)
			return f == field ? 0 : -EINVAL;
		err = pb_skip(c, f, wt, depth + 1);
		if (err)
			return err;
	}
}

static int pb_skip(struct pb_cur *c, uint32_t field, enum pb_wire wt, unsigned depth)
{
	struct pb_cur sub;
	uint64_t v;

	switch (wt) {
	case PB_VARINT:
		return pb_read_varint(c, &v);
	case PB_I64:
		return pb_advance(c, 8);
	case PB_LEN:
		return pb_read_len(c, &sub);
	case PB_I32:
		return pb_advance(c, 4);
	case PB_SGROUP:
		return pb_skip_group(c, field, depth);
	case PB_EGROUP: /* unmatched */
	default:
		return -EINVAL;
	}
}

/* Export{Metrics,Trace}PartialSuccess; the last occurrence of a field wins. */
static int pb_read_partial(struct pb_cur *c, int64_t *rejected, char *msg, size_t msglen)
{
	struct pb_cur sub;
	enum pb_wire wt;
	uint32_t field;
	uint64_t v;
	int err;

	while (c->p < c->end) {
		err = pb_read_key(c, &field, &wt);
		if (!err && field == F_PARTIAL_REJECTED && wt == PB_VARINT) {
			err = pb_read_varint(c, &v);
			*rejected = (int64_t)v;
		} else if (!err && field == F_PARTIAL_MESSAGE && wt == PB_LEN) {
			err = pb_read_len(c, &sub);
			if (!err)
				copy_msg(msg, msglen, (const char *)sub.p, sub.end - sub.p);
		} else if (!err) {
			err = pb_skip(c, field, wt, 0);
		}
		if (err)
			return err;
	}
	return 0;
}

static int decode_pb(const uint8_t *body, size_t len, int64_t *rejected, char *msg, size_t msglen)
{
	struct pb_cur c = {body, body + len}, sub;
	enum pb_wire wt;
	uint32_t field;
	int err;

	while (c.p < c.end) {
		err = pb_read_key(&c, &field, &wt);
		if (!err && field == F_RESP_PARTIAL && wt == PB_LEN) {
			err = pb_read_len(&c, &sub);
			if (!err)
				err = pb_read_partial(&sub, rejected, msg, msglen);
		} else if (!err) {
			err = pb_skip(&c, field, wt, 0);
		}
		if (err)
			return err;
	}
	return 0;
}

/* JSON receivers must accept both the lowerCamelCase and the proto field names. */
static json_t *j_member(const json_t *o, const char *camel, const char *proto)
{
	json_t *v = json_object_get(o, camel);

	return v ? v : json_object_get(o, proto);
}

/* int64 in the JSON mapping: a string of decimal digits, or a plain number. */
static int j_read_int64(const json_t *v, int64_t *out)
{
	const char *s;
	char *end;

	if (!v || json_is_null(v))
		return 0;
	if (json_is_integer(v)) {
		*out = json_integer_value(v);
		return 0;
	}
	if (!json_is_string(v))
		return -EINVAL;
	s = json_string_value(v);
	if (!*s || strlen(s) != json_string_length(v))
		return -EINVAL;
	errno = 0;
	*out = strtoll(s, &end, 10);
	return errno || *end ? -EINVAL : 0;
}

static int decode_json(const uint8_t *body, size_t len, int64_t *rejected, char *msg, size_t msglen)
{
	json_t *root, *ps, *rej, *em;
	int err = -EINVAL;

	root = json_loadb((const char *)body, len, 0, NULL);
	if (!json_is_object(root))
		goto out_free;
	ps = j_member(root, "partialSuccess", "partial_success");
	if (!ps || json_is_null(ps)) {
		err = 0;
		goto out_free;
	}
	if (!json_is_object(ps))
		goto out_free;
	rej = j_member(ps, "rejectedDataPoints", "rejected_data_points");
	if (!rej)
		rej = j_member(ps, "rejectedSpans", "rejected_spans");
	if (!rej)
		rej = j_member(ps, "rejectedLogRecords", "rejected_log_records");
	if (j_read_int64(rej, rejected))
		goto out_free;
	em = j_member(ps, "errorMessage", "error_message");
	if (em && !json_is_null(em) && !json_is_string(em))
		goto out_free;
	if (json_is_string(em))
		copy_msg(msg, msglen, json_string_value(em), json_string_length(em));
	err = 0;
out_free:
	json_decref(root);
	return err;
}

int otlp_decode_response(const uint8_t *body, size_t len, bool is_json, int64_t *rejected,
			 char *msg, size_t msglen)
{
	int64_t n = 0;
	int err;

	if (msg && msglen)
		msg[0] = '\0';
	if (!len)
		err = 0;
	else if (is_json)
		err = decode_json(body, len, &n, msg, msglen);
	else
		err = decode_pb(body, len, &n, msg, msglen);
	/* A negative count is no count: callers add it to unsigned totals. */
	if (!err && n < 0)
		err = -EINVAL;
	if (err) {
		n = 0;
		if (msg && msglen)
			msg[0] = '\0';
	}
	if (rejected)
		*rejected = n;
	return err;
}
