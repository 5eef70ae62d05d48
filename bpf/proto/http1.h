/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Kernel-side HTTP/1 recognition: only "does this segment start like a
 * request or a response?". Framing and parsing are userspace's job
 * (user/http1.c): the kernel's part is to stop copying payload of connections
 * that are not HTTP/1 at all (TLS, databases, HTTP/2), which keeps their cost
 * at one map lookup per packet.
 */
#ifndef MESHSIGHT_PROTO_HTTP1_H
#define MESHSIGHT_PROTO_HTTP1_H

#include "../map_sizing.h"

enum http1_start {
	HTTP1_START_NO = 0,	  /* cannot be the start of an HTTP/1 message */
	HTTP1_START_REQUEST = 1,  /* "TOKEN " with an uppercase token of 3..15 letters */
	HTTP1_START_RESPONSE = 2, /* "HTTP/1." */
	HTTP1_START_PARTIAL = 3,  /* too short to tell, but a prefix of a request */
};

static __always_inline int http1_is_upper(__u8 c)
{
	return c >= 'A' && c <= 'Z';
}

static __always_inline int http1_is_response(const __u8 *b, __u32 n)
{
	return n >= 7 && b[0] == 'H' && b[1] == 'T' && b[2] == 'T' && b[3] == 'P' && b[4] == '/' &&
	       b[5] == '1' && b[6] == '.';
}

/*
 * b holds the first n (<= MS_CLASSIFY_BYTES) bytes of a segment. *method_len
 * carries the method letters already seen in earlier segments of the same
 * request line, so "GE" + "T / HTTP/1.1" is recognised: a split request line
 * is PARTIAL until its first space arrives.
 */
static __always_inline int http1_classify(const __u8 b[MS_CLASSIFY_BYTES], __u32 n,
					  __u8 *method_len)
{
	__u32 tok = *method_len;
	__u32 i;

	if (tok == 0 && http1_is_response(b, n))
		return HTTP1_START_RESPONSE;
	/* "PRI * HTTP/2.0" is the HTTP/2 preface: not ours. */
	if (tok == 0 && n >= 4 && b[0] == 'P' && b[1] == 'R' && b[2] == 'I' && b[3] == ' ')
		return HTTP1_START_NO;
	for (i = 0; i < MS_CLASSIFY_BYTES; i++) {
		if (i >= n) {
			*method_len = tok;
			return tok > 0 ? HTTP1_START_PARTIAL : HTTP1_START_NO;
		}
		if (b[i] == ' ')
			return tok >= MS_METHOD_MIN ? HTTP1_START_REQUEST : HTTP1_START_NO;
		if (!http1_is_upper(b[i]) || tok >= MS_METHOD_MAX)
			return HTTP1_START_NO;
		tok++;
	}
	return HTTP1_START_NO;
}

#endif /* MESHSIGHT_PROTO_HTTP1_H */
