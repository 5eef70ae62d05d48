/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Kernel-side HTTP/2 recognition: a client that opens with the connection
 * preface (RFC 9113 3.4, "prior knowledge" h2c). Its first 16 bytes,
 * "PRI * HTTP/2.0\r\n", are exactly MS_CLASSIFY_BYTES, so the segment the
 * classifier already loads is enough. Frames and HPACK are userspace's
 * (user/h2.c). An h2c upgrade starts as HTTP/1 and stays captured as such.
 */
#ifndef MESHSIGHT_PROTO_HTTP2_H
#define MESHSIGHT_PROTO_HTTP2_H

#include "../map_sizing.h"

#define HTTP2_PREFACE_HEAD "PRI * HTTP/2.0\r\n"

static __always_inline bool http2_is_preface(const __u8 b[MS_CLASSIFY_BYTES], __u32 n)
{
	const char want[] = HTTP2_PREFACE_HEAD;
	__u32 i;

	_Static_assert(sizeof(want) - 1 == MS_CLASSIFY_BYTES, "the preface head fills the probe");
	if (n < MS_CLASSIFY_BYTES)
		return false;
	for (i = 0; i < MS_CLASSIFY_BYTES; i++)
		if (b[i] != (__u8)want[i])
			return false;
	return true;
}

/*
 * An HTTP/2 server sends its SETTINGS frame as soon as it accepts, often
 * before the client's preface arrives: a 9-byte frame header of type 4, no
 * flags, stream 0, a length of whole 6-byte settings. Such a first server
 * segment must not make the connection opaque, and is captured so that
 * userspace sees the server's stream from its first byte.
 */
static __always_inline bool http2_is_server_settings(const __u8 b[MS_CLASSIFY_BYTES], __u32 n)
{
	__u32 len;

	if (n < 9 || b[3] != 4 || b[4] != 0 || b[5] || b[6] || b[7] || b[8])
		return false;
	len = (__u32)b[0] << 16 | (__u32)b[1] << 8 | b[2];
	return len % 6 == 0 && len <= 16384;
}

#endif /* MESHSIGHT_PROTO_HTTP2_H */
