// SPDX-License-Identifier: BSD-2-Clause
/* See naming.h. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "naming.h"

static const uint8_t v4_mapped_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

void naming_format_addr(const uint8_t addr[16], char *buf, size_t len)
{
	if (!memcmp(addr, v4_mapped_prefix, sizeof(v4_mapped_prefix)))
		inet_ntop(AF_INET, addr + 12, buf, len);
	else
		inet_ntop(AF_INET6, addr, buf, len);
}

static const char *nonempty(const char *s)
{
	return s && s[0] ? s : NULL;
}

/* One rule names an end, never a mix of two: the cgroup rule is the more specific. */
static void apply_identity(struct endpoint_names *out, const struct identity *id)
{
	if (!id)
		return;
	out->workload = nonempty(id->workload);
	out->namespace_ = nonempty(id->namespace_);
	out->service = nonempty(id->service);
}

void naming_resolve(struct naming *n, const uint8_t addr[16], const struct edge_end *end,
		    struct endpoint_names *out)
{
	memset(out, 0, sizeof(*out));
	naming_format_addr(addr, out->address, sizeof(out->address));
	if (end && end->cgroup_id && n->cgroups) {
		const char *path = cgroup_cache_path(n->cgroups, end->cgroup_id);

		if (path) {
			snprintf(out->cgroup_buf, sizeof(out->cgroup_buf), "%s", path);
			out->cgroup = out->cgroup_buf;
		}
	}
	if (n->ids) {
		const struct identity *id =
		    out->cgroup ? identity_by_cgroup(n->ids, out->cgroup) : NULL;

		apply_identity(out, id ? id : identity_by_addr(n->ids, addr));
	}
	if (end && end->comm[0]) {
		memcpy(out->comm_buf, end->comm, sizeof(out->comm_buf));
		out->comm_buf[sizeof(out->comm_buf) - 1] = '\0';
		out->process = out->comm_buf;
	} else if (end && end->cgroup_id && n->cgroups &&
		   !cgroup_cache_comm(n->cgroups, end->cgroup_id, out->comm_buf)) {
		out->process = out->comm_buf;
	}
}

const char *naming_node_name(const struct endpoint_names *n, bool server, char *buf, size_t len)
{
	const char *name = server ? (nonempty(n->service) ?: nonempty(n->workload))
				  : (nonempty(n->workload) ?: nonempty(n->service));

	if (name)
		snprintf(buf, len, "%s", name);
	else if (n->process)
		snprintf(buf, len, "unknown_service:%s", n->process);
	else
		snprintf(buf, len, "%s", n->address);
	return buf;
}
