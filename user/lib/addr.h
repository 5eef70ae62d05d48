/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Addresses as the kernel contract carries them (include/meshsight_events.h):
 * 16 bytes, IPv4 as the IPv4-mapped IPv6 address ::ffff:a.b.c.d.
 *
 *   addr_is_v4(a)               a is IPv4-mapped
 *   addr_from_v4(out, be32)     a network-order IPv4 address, mapped
 *   addr_parse(text, out)       "10.0.0.1" or "fd00::1" -> 16 bytes; 0 or -EINVAL
 *   addr_format(a, buf, len)    the dotted form for IPv4, RFC 5952 for IPv6
 */
#ifndef MESHSIGHT_ADDR_H
#define MESHSIGHT_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ADDR_TEXT_MAX 46 /* INET6_ADDRSTRLEN */

bool addr_is_v4(const uint8_t a[16]);
void addr_from_v4(uint8_t out[16], uint32_t be32);
int addr_parse(const char *text, uint8_t out[16]);
void addr_format(const uint8_t a[16], char *buf, size_t len);

#endif /* MESHSIGHT_ADDR_H */
