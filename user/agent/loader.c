// SPDX-License-Identifier: BSD-2-Clause
/*
 * See loader.h. Host checks come first and each names the fix, because the
 * usual failure of an eBPF agent is not a bug but a host that lacks a
 * capability, BTF or cgroup v2, and libbpf's own message for that is a bare
 * -EPERM or -EINVAL.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "meshsight.skel.h"
#include "meshsight_events.h"

#include "naming/cgroups.h"
#include "agent/loader.h"
#include "lib/log.h"

#define CGROUP2_FALLBACK_MOUNT "/sys/fs/cgroup/unified"
#define BTF_VMLINUX	       "/sys/kernel/btf/vmlinux"

#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	/* One level down: libbpf's warnings are details of our own error messages. */
	enum log_level ours = level == LIBBPF_WARN ? LOG_LEVEL_INFO : LOG_LEVEL_DEBUG;

	if (log_enabled(ours))
		log_vmsg(ours, fmt, ap);
	return 0;
}

void loader_route_libbpf_log(void)
{
	libbpf_set_print(libbpf_print);
}

static bool has_cap(const struct __user_cap_data_struct data[2], int cap)
{
	return data[cap / 32].effective & (1u << (cap % 32));
}

static int check_caps(char *err, size_t errlen)
{
	struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct data[2] = {};

	if (syscall(SYS_capget, &hdr, data)) {
		snprintf(err, errlen, "cannot read capabilities: %s", strerror(errno));
		return -errno;
	}
	if (has_cap(data, CAP_SYS_ADMIN))
		return 0;
	if (has_cap(data, CAP_BPF) && has_cap(data, CAP_PERFMON) && has_cap(data, CAP_NET_ADMIN))
		return 0;
	snprintf(err, errlen,
		 "missing capabilities: meshsight needs CAP_BPF, CAP_PERFMON and CAP_NET_ADMIN "
		 "(or CAP_SYS_ADMIN); run it as root (sudo) or grant them, e.g. "
		 "setcap cap_bpf,cap_perfmon,cap_net_admin+ep build/meshsight");
	return -EPERM;
}

static int check_btf(char *err, size_t errlen)
{
	if (!access(BTF_VMLINUX, R_OK))
		return 0;
	snprintf(err, errlen,
		 "kernel BTF not found at %s: meshsight's CO-RE programs need a kernel built "
		 "with CONFIG_DEBUG_INFO_BTF=y (every major distribution kernel since 2021 has it)",
		 BTF_VMLINUX);
	return -ENOENT;
}

static bool is_cgroup2(const char *path)
{
	struct statfs sfs;

	return !statfs(path, &sfs) && sfs.f_type == CGROUP2_SUPER_MAGIC;
}

/*
 * A host with only cgroup v1 mounted can still have the v2 hierarchy
 * mounted beside it (systemd's "hybrid" layout does exactly this), and doing
 * so changes nothing for v1 users, so it is safe to do here.
 */
static int find_or_mount_cgroup2(char *root, size_t len, char *err, size_t errlen)
{
	if (!cgroup2_find_mount(root, len))
		return 0;
	if (mkdir(CGROUP2_FALLBACK_MOUNT, 0755) && errno != EEXIST) {
		snprintf(err, errlen,
			 "cgroup v2 is not mounted and %s cannot be created (%s); mount it with "
			 "'mount -t cgroup2 none /sys/fs/cgroup/unified' or pass --cgroup",
			 CGROUP2_FALLBACK_MOUNT, strerror(errno));
		return -ENOENT;
	}
	if (mount("none", CGROUP2_FALLBACK_MOUNT, "cgroup2", 0, NULL)) {
		snprintf(err, errlen,
			 "cgroup v2 is not mounted and mounting it at %s failed (%s); mount it "
			 "yourself or pass --cgroup PATH of a cgroup2 directory",
			 CGROUP2_FALLBACK_MOUNT, strerror(errno));
		return -errno;
	}
	pr_info("mounted cgroup v2 at %s (it was not mounted)\n", CGROUP2_FALLBACK_MOUNT);
	snprintf(root, len, "%s", CGROUP2_FALLBACK_MOUNT);
	return 0;
}

int loader_check_host(struct loader *l, const struct loader_opts *opts, char *err, size_t errlen)
{
	int ret;

	memset(l, 0, sizeof(*l));
	l->cgroup_fd = -1;
	l->skb_links[0] = l->skb_links[1] = -1;
	ret = check_caps(err, errlen);
	if (!ret)
		ret = check_btf(err, errlen);
	if (!ret)
		ret = probe_kernel(&l->caps, err, errlen);
	if (!ret)
		ret = find_or_mount_cgroup2(l->cgroup_root, sizeof(l->cgroup_root), err, errlen);
	if (ret)
		return ret;
	snprintf(l->cgroup_path, sizeof(l->cgroup_path), "%s",
		 opts->cgroup ? opts->cgroup : l->cgroup_root);
	if (!is_cgroup2(l->cgroup_path)) {
		snprintf(err, errlen,
			 "--cgroup %s is not a cgroup v2 directory (the v2 hierarchy is mounted at "
			 "%s); pass a directory below it",
			 l->cgroup_path, l->cgroup_root);
		return -EINVAL;
	}
	/* bpffs and tracefs are not needed: nothing is pinned, no tracepoint is used. */
	return 0;
}

static int size_maps(struct meshsight_bpf *skel, const struct loader_opts *opts, char *err,
		     size_t errlen)
{
	uint32_t rb = opts->ringbuf_mb << 20;

	if (opts->ringbuf_mb == 0 || (rb & (rb - 1)) || opts->ringbuf_mb > 1024) {
		snprintf(err, errlen, "--ringbuf-mb %u must be a power of two from 1 to 1024",
			 opts->ringbuf_mb);
		return -EINVAL;
	}
	if (opts->capture_bytes < 64 || opts->capture_bytes > MS_CAPTURE_MAX) {
		snprintf(err, errlen, "--capture-bytes %u must be between 64 and %d",
			 opts->capture_bytes, MS_CAPTURE_MAX);
		return -EINVAL;
	}
	if (opts->max_conns < 16) {
		snprintf(err, errlen, "--max-connections %u must be at least 16", opts->max_conns);
		return -EINVAL;
	}
	bpf_map__set_max_entries(skel->maps.events, rb);
	bpf_map__set_max_entries(skel->maps.conns, opts->max_conns);
	skel->rodata->cfg_capture_bytes = opts->capture_bytes;
	skel->rodata->cfg_capture_http = opts->http;
	skel->rodata->cfg_kernel_http = opts->http && opts->kernel_http;
	return 0;
}

static void apply_caps(struct meshsight_bpf *skel, const struct probe_caps *caps)
{
	skel->rodata->cfg_sockops_task = caps->sockops_task;
	if (!caps->sockops_task)
		pr_info("sockops cannot call the current-task helpers on this kernel: process "
			"names come from each socket's cgroup\n");
}

static int attach_failed(const struct loader *l, const char *what, int ret, char *err,
			 size_t errlen)
{
	snprintf(err, errlen,
		 "cannot attach %s to cgroup %s: %s; the kernel needs CONFIG_CGROUP_BPF and "
		 "bpf_link support (5.7+); 'meshsight --check' lists what else it needs",
		 what, l->cgroup_path, strerror(-ret));
	return ret;
}

/*
 * sockops, and the one skb program on both hooks (bpf/skb.bpf.c says why):
 * libbpf attaches a program to its section's hook only, so the skb links
 * are made here, and kept as fds.
 */
static int attach_all(struct loader *l, char *err, size_t errlen)
{
	static const struct {
		enum bpf_attach_type type;
		const char *name;
	} skb_hooks[2] = {
	    {BPF_CGROUP_INET_EGRESS, "ms_skb (egress)"},
	    {BPF_CGROUP_INET_INGRESS, "ms_skb (ingress)"},
	};
	int prog_fd = bpf_program__fd(l->skel->progs.ms_skb), i;

	l->cgroup_fd = open(l->cgroup_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (l->cgroup_fd < 0) {
		snprintf(err, errlen, "cannot open cgroup %s: %s", l->cgroup_path, strerror(errno));
		return -errno;
	}
	l->sockops_link = bpf_program__attach_cgroup(l->skel->progs.ms_sockops, l->cgroup_fd);
	if (!l->sockops_link)
		return attach_failed(l, "ms_sockops", -errno, err, errlen);
	for (i = 0; i < 2; i++) {
		l->skb_links[i] = bpf_link_create(prog_fd, l->cgroup_fd, skb_hooks[i].type, NULL);
		if (l->skb_links[i] < 0)
			return attach_failed(l, skb_hooks[i].name, l->skb_links[i], err, errlen);
	}
	return 0;
}

int loader_start(struct loader *l, const struct loader_opts *opts, char *err, size_t errlen)
{
	int ret;

	l->skel = meshsight_bpf__open();
	if (!l->skel) {
		ret = -errno;
		snprintf(err, errlen, "cannot open the BPF object: %s", strerror(-ret));
		return ret;
	}
	ret = size_maps(l->skel, opts, err, errlen);
	if (ret)
		goto out_destroy;
	apply_caps(l->skel, &l->caps);
	ret = meshsight_bpf__load(l->skel);
	if (ret) {
		snprintf(err, errlen,
			 "the kernel rejected meshsight's BPF programs (%s); run with -v for the "
			 "verifier log, and 'meshsight --check' for the kernel features it needs "
			 "(Linux " PROBE_OLDEST_KERNEL "+ with BTF)",
			 strerror(-ret));
		goto out_destroy;
	}
	ret = attach_all(l, err, errlen);
	if (ret)
		goto out_destroy;
	pr_debug("attached sockops and cgroup skb programs to %s\n", l->cgroup_path);
	return 0;

out_destroy:
	loader_stop(l);
	return ret;
}

void loader_stop(struct loader *l)
{
	int i;

	bpf_link__destroy(l->sockops_link);
	l->sockops_link = NULL;
	for (i = 0; i < 2; i++) {
		if (l->skb_links[i] >= 0)
			close(l->skb_links[i]); /* the last reference: detaches */
		l->skb_links[i] = -1;
	}
	if (l->cgroup_fd >= 0)
		close(l->cgroup_fd);
	l->cgroup_fd = -1;
	meshsight_bpf__destroy(l->skel);
	l->skel = NULL;
}

int loader_ringbuf_fd(const struct loader *l)
{
	return bpf_map__fd(l->skel->maps.events);
}

int loader_conns_fd(const struct loader *l)
{
	return bpf_map__fd(l->skel->maps.conns);
}

int loader_counters_fd(const struct loader *l)
{
	return bpf_map__fd(l->skel->maps.counters);
}
