// SPDX-License-Identifier: BSD-2-Clause
/* Which pod and container a cgroup path belongs to (cgroupfs and systemd layouts). */
#define _GNU_SOURCE
#include "k8s/objects.h"

/* --- cgroup paths ------------------------------------------------------------ */

static bool all_hex(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

/*
 * The uid in "pod<uid>" (cgroupfs) or "...-pod<uid with _>.slice" (systemd):
 * a UUID, or the 32 hex digits kubelet gives static pods. 0 or -ENOENT.
 */
static int component_uid(const char *c, size_t len, bool systemd, char uid[K8S_UID_MAX])
{
	const char *p;
	size_t i, n;

	if (systemd) {
		if (len < 6 || strncmp(c + len - 6, ".slice", 6))
			return -ENOENT;
		len -= 6;
		p = memmem(c, len, "-pod", 4);
		if (!p)
			return -ENOENT;
		p += 4;
	} else {
		if (len < 3 || strncmp(c, "pod", 3))
			return -ENOENT;
		p = c + 3;
	}
	n = len - (size_t)(p - c);
	if (n < 32 || n >= K8S_UID_MAX)
		return -ENOENT;
	for (i = 0; i < n; i++) {
		uid[i] = p[i] == '_' ? '-' : p[i];
		if (uid[i] != '-' && !all_hex(&uid[i], 1))
			return -ENOENT;
	}
	uid[n] = '\0';
	return 0;
}

/* The container id in the component after the pod's, or "" when it is none. */
static void component_container(const char *c, size_t len, char *out, size_t outlen)
{
	static const char *const prefixes[] = {"cri-containerd-", "crio-", "docker-", ""};
	size_t i, plen;

	if (len > 6 && !strncmp(c + len - 6, ".scope", 6))
		len -= 6;
	if (outlen <= CONTAINER_ID_LEN)
		return;
	for (i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		plen = strlen(prefixes[i]);
		if (len == plen + CONTAINER_ID_LEN && !strncmp(c, prefixes[i], plen) &&
		    all_hex(c + plen, CONTAINER_ID_LEN)) {
			str_copy(out, CONTAINER_ID_LEN + 1, c + plen);
			return;
		}
	}
}

int k8s_cgroup_pod(const char *cgroup_path, char uid[K8S_UID_MAX], char *container_id,
		   size_t container_id_len)
{
	const char *c = cgroup_path, *end;
	bool kubepods = false, systemd;
	size_t len;

	if (container_id && container_id_len)
		container_id[0] = '\0';
	while (c && *c) {
		while (*c == '/')
			c++;
		end = strchrnul(c, '/');
		len = (size_t)(end - c);
		systemd = len > 6 && !strncmp(c + len - 6, ".slice", 6);
		/* Only below a kubepods level: "kubepods", "kubepods.slice",
		 * "kubelet-kubepods.slice" (kind), "kubepods-besteffort.slice". */
		if (kubepods && !component_uid(c, len, systemd, uid)) {
			end += strspn(end, "/");
			if (container_id)
				component_container(end, strcspn(end, "/"), container_id,
						    container_id_len);
			return 0;
		}
		if (memmem(c, len, "kubepods", 8))
			kubepods = true;
		c = end;
	}
	return -ENOENT;
}

bool k8s_index_pod_by_cgroup(struct k8s_index *idx, const char *cgroup_path,
			     struct k8s_pod_ref *out)
{
	char uid[K8S_UID_MAX], container[80];

	if (k8s_cgroup_pod(cgroup_path, uid, container, sizeof(container)))
		return false;
	return k8s_index_pod_by_uid(idx, uid, container[0] ? container : NULL, out);
}
