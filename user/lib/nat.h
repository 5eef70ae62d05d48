/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Where a connection to a Service's ClusterIP really went. kube-proxy
 * rewrites the destination in the node's netfilter (DNAT), after the
 * client's socket chose it, so the socket only ever knows the ClusterIP.
 * The node's connection tracking table knows the backend: the source
 * address of the reply direction. One netlink query per connection to a
 * ClusterIP, answered from the kernel's own table.
 */
#ifndef MESHSIGHT_NAT_H
#define MESHSIGHT_NAT_H

#include <stdint.h>

struct nat_lookup;

struct nat_stats {
	uint64_t queries;
	uint64_t rewritten; /* the destination had been translated */
	uint64_t not_found; /* no conntrack entry (no NAT on the path, or it expired) */
	uint64_t errors;    /* netlink failures */
};

/* -errno when conntrack cannot be queried (no CAP_NET_ADMIN, no nf_conntrack). */
int nat_open(struct nat_lookup **out);
void nat_close(struct nat_lookup *n);
/*
 * For a TCP connection src -> dst (16-byte addresses, IPv4 mapped), the
 * address and port the packets were really sent to. 0 and fills
 * real_addr/real_port when conntrack has the entry (they equal dst when no
 * NAT applied); -ENOENT when it has not.
 */
int nat_real_destination(struct nat_lookup *n, const uint8_t src[16], uint16_t sport,
			 const uint8_t dst[16], uint16_t dport, uint8_t real_addr[16],
			 uint16_t *real_port);
void nat_get_stats(const struct nat_lookup *n, struct nat_stats *out);

#endif /* MESHSIGHT_NAT_H */
