/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Kernel-side HTTP/2 recognition: a client that opens with the connection
 * preface (RFC 9113 3.4, "prior knowledge" h2c). Its first 16 bytes,
 * "PRI * HTTP/2.0\r\n", are exactly MS_CLASSIFY_BYTES, so the segment the
 * classifier already loads is enough. Frames and HPACK are userspace's
 * (user/core/h2.c). An h2c upgrade starts as HTTP/1 and stays captured as
 * such; a connection opened before the agent is recognised by its frames.
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

/*
 * A connection first seen mid-stream (opened before the agent) shows no
 * preface: its first segment is just a frame. A 9-byte header whose length,
 * type, flags and stream id fit one of the frame types RFC 9113 defines is
 * taken as HTTP/2, so the connection is captured (its streams are counted
 * unnamed by userspace: the HPACK state before the agent is lost). The
 * checks are those of user/core/h2.c's resync; TLS records (0x16 0x03 ..),
 * PostgreSQL, MySQL and RESP give lengths far above 16384 and fail them.
 */
static __always_inline bool http2_is_frame(const __u8 b[MS_CLASSIFY_BYTES], __u32 n)
{
	__u32 len, id;
	__u8 fl;

	if (n < 9 || (b[5] & 0x80))
		return false;
	len = (__u32)b[0] << 16 | (__u32)b[1] << 8 | b[2];
	id = (__u32)b[5] << 24 | (__u32)b[6] << 16 | (__u32)b[7] << 8 | b[8];
	fl = b[4];
	if (len > 16384)
		return false;
	switch (b[3]) {
	case 0: /* DATA: END_STREAM, PADDED */
		return id && len && !(fl & ~0x09);
	case 1: /* HEADERS: END_STREAM, END_HEADERS, PADDED, PRIORITY */
		return id && len && !(fl & ~0x2d);
	case 3: /* RST_STREAM */
		return id && len == 4 && !fl;
	case 4: /* SETTINGS, or its ACK */
		return !id && len % 6 == 0 && !(fl & ~1) && !(fl && len);
	case 6: /* PING */
		return !id && len == 8 && !(fl & ~1);
	case 7: /* GOAWAY */
		return !id && len >= 8 && !fl;
	case 8: /* WINDOW_UPDATE */
		return len == 4 && !fl;
	}
	return false;
}

#endif /* MESHSIGHT_PROTO_HTTP2_H */
