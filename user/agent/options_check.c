// SPDX-License-Identifier: BSD-2-Clause
/*
 * What a config must satisfy before anything starts (see options.h): the
 * listen addresses bind-able (:PORT is every IPv4 address, a host name is
 * resolved once), each mesh tunnel cgroup exists, and the OTLP flags and
 * OTEL_* variables make a valid exporter.
 */
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>

#include <arpa/inet.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "agent/options.h"
#include "naming/cgroups.h"
#include "otlp/exporter.h"
#include "serve/http_server.h"

/* ":9464" -> "0.0.0.0:9464": the address every interface answers on. */
static const char *listen_any(const char *v, char *buf, size_t len)
{
	if (!v || v[0] != ':')
		return v;
	snprintf(buf, len, "0.0.0.0%s", v);
	return buf;
}

/*
 * --listen HOST:PORT with a host name (localhost): resolved once, here, to
 * its first IPv4 address (else its first IPv6 one), which is what is bound.
 */
static int resolve_listen(struct agent_config *c, char *why, size_t len)
{
	static char numeric[INET6_ADDRSTRLEN + 8];
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res, *ai, *pick = NULL;
	struct sockaddr_storage ss;
	const char *colon = strrchr(c->listen, ':');
	char host[256], addr[INET6_ADDRSTRLEN];
	int rc;

	if (!http_parse_listen(c->listen, &ss) || !colon || colon == c->listen ||
	    c->listen[0] == '[' || (size_t)(colon - c->listen) >= sizeof(host))
		return 0; /* numeric already, or malformed: the check after says so */
	memcpy(host, c->listen, (size_t)(colon - c->listen));
	host[colon - c->listen] = '\0';
	rc = getaddrinfo(host, NULL, &hints, &res);
	if (rc) {
		snprintf(why, len,
			 "--listen '%s': cannot resolve '%s' (%s); pass an address, e.g. "
			 "127.0.0.1:9464",
			 c->listen, host, gai_strerror(rc));
		return -EINVAL;
	}
	for (ai = res; ai; ai = ai->ai_next)
		if (!pick || (ai->ai_family == AF_INET && pick->ai_family != AF_INET))
			pick = ai;
	if (pick->ai_family == AF_INET)
		inet_ntop(AF_INET, &((struct sockaddr_in *)pick->ai_addr)->sin_addr, addr,
			  sizeof(addr));
	else
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)pick->ai_addr)->sin6_addr, addr,
			  sizeof(addr));
	snprintf(numeric, sizeof(numeric), pick->ai_family == AF_INET ? "%s%s" : "[%s]%s", addr,
		 colon);
	freeaddrinfo(res);
	c->listen = numeric;
	return 0;
}

static int check_listen(struct agent_config *c, char *why, size_t len)
{
	static char any[64], health_any[64];
	struct sockaddr_storage ss;

	c->listen = listen_any(c->listen, any, sizeof(any));
	c->health_listen = listen_any(c->health_listen, health_any, sizeof(health_any));
	if (resolve_listen(c, why, len))
		return -EINVAL;
	if (c->health_listen && http_parse_listen(c->health_listen, &ss)) {
		snprintf(why, len,
			 "invalid --health-listen '%s': expected HOST:PORT or :PORT, e.g. "
			 "0.0.0.0:9465",
			 c->health_listen);
		return -EINVAL;
	}
	if (http_parse_listen(c->listen, &ss)) {
		snprintf(why, len,
			 "invalid --listen '%s': expected HOST:PORT or :PORT, e.g. 127.0.0.1:9464 "
			 "or [::1]:9464",
			 c->listen);
		return -EINVAL;
	}
	return 0;
}

/* A mesh tunnel cgroup must exist, or its sockets would never be recognised. */
static int check_tunnel_cgroups(const struct agent_config *c, char *why, size_t len)
{
	char mount[256], dir[512];
	struct stat st;
	uint32_t i;

	for (i = 0; i < c->nmesh_tunnel_cgroups; i++) {
		const char *p = c->mesh_tunnel_cgroups[i];

		if (p[0] != '/') {
			snprintf(why, len,
				 "--mesh-tunnel-cgroup '%s': expected a path relative to the "
				 "cgroup2 mount, starting with '/', e.g. /system.slice/"
				 "ztunnel.service",
				 p);
			return -EINVAL;
		}
		if (cgroup2_find_mount(mount, sizeof(mount)))
			continue; /* not mounted yet: the agent mounts it, then cannot check */
		snprintf(dir, sizeof(dir), "%s%s", mount, p);
		if (!stat(dir, &st) && S_ISDIR(st.st_mode))
			continue;
		if (!strncmp(p, mount, strlen(mount)) && p[strlen(mount)] == '/')
			snprintf(why, len,
				 "--mesh-tunnel-cgroup '%s' is a full path; pass it relative to "
				 "the cgroup2 mount: '%s'",
				 p, p + strlen(mount));
		else
			snprintf(why, len,
				 "--mesh-tunnel-cgroup '%s': no such cgroup (%s); pass the "
				 "proxy's cgroup relative to the cgroup2 mount %s",
				 p, dir, mount);
		return -EINVAL;
	}
	return 0;
}

/* OTLP flags and OTEL_* variables, checked before anything starts. */
static int check_export(const struct agent_config *c, char *why, size_t len)
{
	static struct exporter_state probe; /* large: not on the stack */
	char err[512] = "";
	int ret = export_configure(&probe, &c->export, err, sizeof(err));

	export_stop(&probe);
	if (ret)
		snprintf(why, len, "%s", err[0] ? err : strerror(-ret));
	return ret;
}

int options_check(struct agent_config *c, char *why, size_t len)
{
	if (check_listen(c, why, len) || check_tunnel_cgroups(c, why, len) ||
	    check_export(c, why, len))
		return -EINVAL;
	return 0;
}
