// SPDX-License-Identifier: BSD-2-Clause
/*
 * See tls_probe.h. Uprobes attach to a file (an inode), not to a process:
 * one attach of the SSL_* probes to a libssl covers every process, present
 * and future, that maps that file. So the work here is finding each
 * distinct libssl once: a process's /proc/PID/maps names the file by the
 * path inside its own mount namespace, which /proc/PID/root/<path> reaches
 * from the agent's (in Kubernetes, each image has its own libssl, found
 * through its containers' root filesystems); the device and inode on the
 * maps line identify it without a stat.
 *
 * Cost: each scan lists /proc (one readdir, ~1 ms for a thousand
 * processes) and reads the maps of processes not seen before (~30 us
 * each). A process is read again on the next few scans while it has no
 * libssl, because interpreters load it late (Python's ssl module is a
 * dlopen at import); after TLS_RESCANS scans it is left alone. A reused
 * pid is not read again: the new process is covered if its libssl is one
 * already probed, which on one image is the rule.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "tls.skel.h"

#include "log.h"
#include "tls_probe.h"

#define TLS_RESCANS    8	/* scans a process without libssl is looked at again */
#define TLS_SEEN_DONE  0xff	/* this pid is done: libssl found, or gave up */
#define TLS_PID_MAX    4194304u /* PID_MAX_LIMIT on 64-bit */
#define TLS_LIBS_MAX   64	/* distinct libssl files probed */
#define TLS_PROBES_MAX 10	/* entry and return of 5 functions */

struct tls_lib {
	unsigned long dev; /* makedev(major, minor) as on the maps line */
	unsigned long ino;
	struct bpf_link *links[TLS_PROBES_MAX];
};

struct tls_probe {
	struct tls_bpf *skel;
	struct bpf_link *sys_enter;
	uint8_t *seen; /* by pid: scans without libssl, or TLS_SEEN_DONE */
	uint32_t pid_max;
	struct tls_lib libs[TLS_LIBS_MAX];
	uint32_t nlibs;
	struct tls_probe_stats stats;
};

/* Which program goes on which function; required ones must all attach. */
static const struct {
	const char *func;
	bool ret;
	bool required;
} probe_table[TLS_PROBES_MAX] = {
    {"SSL_write", false, true},	       {"SSL_write", true, true},
    {"SSL_read", false, true},	       {"SSL_read", true, true},
    {"SSL_do_handshake", false, true}, {"SSL_do_handshake", true, true},
    {"SSL_write_ex", false, false},    {"SSL_write_ex", true, false}, /* 1.1.1 and later */
    {"SSL_read_ex", false, false},     {"SSL_read_ex", true, false},
};

static struct bpf_program *probe_prog(const struct tls_probe *tp, int i)
{
	struct bpf_program *entry[TLS_PROBES_MAX / 2] = {
	    tp->skel->progs.ms_ssl_write,     tp->skel->progs.ms_ssl_read,
	    tp->skel->progs.ms_ssl_handshake, tp->skel->progs.ms_ssl_write_ex,
	    tp->skel->progs.ms_ssl_read_ex,
	};

	return probe_table[i].ret ? tp->skel->progs.ms_ssl_ret : entry[i / 2];
}

int tls_probe_parse_switch(const char *s, int *on)
{
	if (!strcmp(s, "on") || !strcmp(s, "1") || !strcmp(s, "true"))
		*on = 1;
	else if (!strcmp(s, "off") || !strcmp(s, "0") || !strcmp(s, "false"))
		*on = 0;
	else
		return -EINVAL;
	return 0;
}

static uint32_t read_pid_max(void)
{
	FILE *f = fopen("/proc/sys/kernel/pid_max", "re");
	unsigned int v = 0;

	if (f) {
		if (fscanf(f, "%u", &v) != 1)
			v = 0;
		fclose(f);
	}
	return v && v <= TLS_PID_MAX ? v : TLS_PID_MAX;
}

int tls_probe_start(struct tls_probe **out, int events_fd, int counters_fd, uint32_t capture_bytes,
		    char *err, size_t errlen)
{
	struct tls_probe *tp = calloc(1, sizeof(*tp));
	int ret = -ENOMEM;

	if (!tp)
		goto out_err;
	tp->pid_max = read_pid_max();
	tp->seen = calloc(tp->pid_max, 1); /* untouched pages cost no memory */
	tp->skel = tls_bpf__open();
	if (!tp->seen || !tp->skel) {
		ret = tp->seen ? -errno : -ENOMEM;
		snprintf(err, errlen, "cannot open the TLS BPF object: %s", strerror(-ret));
		goto out_free;
	}
	tp->skel->rodata->cfg_capture_bytes = capture_bytes;
	ret = bpf_map__reuse_fd(tp->skel->maps.events, events_fd);
	if (!ret)
		ret = bpf_map__reuse_fd(tp->skel->maps.counters, counters_fd);
	if (!ret)
		ret = tls_bpf__load(tp->skel);
	if (ret) {
		snprintf(err, errlen,
			 "the kernel rejected the TLS probes (%s): they need uprobes, raw "
			 "tracepoints and bpf_probe_read_kernel (refused under "
			 "lockdown=confidentiality); run with -v for the verifier log",
			 strerror(-ret));
		goto out_free;
	}
	tp->sys_enter =
	    bpf_program__attach_raw_tracepoint(tp->skel->progs.ms_tls_sys_enter, "sys_enter");
	if (!tp->sys_enter) {
		ret = -errno;
		snprintf(err, errlen,
			 "cannot attach the TLS probes' raw tracepoint sys_enter: %s; the kernel "
			 "needs CONFIG_FTRACE_SYSCALLS and the agent CAP_PERFMON",
			 strerror(-ret));
		goto out_free;
	}
	*out = tp;
	return 0;

out_free:
	tls_probe_stop(tp);
out_err:
	if (ret == -ENOMEM && !err[0])
		snprintf(err, errlen, "out of memory starting the TLS probes");
	return ret;
}

static struct tls_lib *lib_find(struct tls_probe *tp, unsigned long dev, unsigned long ino)
{
	uint32_t i;

	for (i = 0; i < tp->nlibs; i++)
		if (tp->libs[i].dev == dev && tp->libs[i].ino == ino)
			return &tp->libs[i];
	return NULL;
}

static void lib_detach(struct tls_lib *lib)
{
	int i;

	for (i = 0; i < TLS_PROBES_MAX; i++) {
		bpf_link__destroy(lib->links[i]);
		lib->links[i] = NULL;
	}
}

/* Attaches every probe to path; 0, or -errno when a required one failed. */
static int lib_attach(struct tls_probe *tp, struct tls_lib *lib, const char *path)
{
	LIBBPF_OPTS(bpf_uprobe_opts, o);
	int i, ret;

	for (i = 0; i < TLS_PROBES_MAX; i++) {
		o.func_name = probe_table[i].func;
		o.retprobe = probe_table[i].ret;
		lib->links[i] = bpf_program__attach_uprobe_opts(probe_prog(tp, i), -1, path, 0, &o);
		if (lib->links[i] || !probe_table[i].required)
			continue;
		ret = -errno;
		lib->links[i] = NULL;
		pr_warn("cannot probe %s in %s: %s; HTTPS through this libssl is reported as "
			"tcp (the agent needs CAP_SYS_PTRACE to read other processes' files, and "
			"the library its symbol table)\n",
			probe_table[i].func, path, strerror(-ret));
		lib_detach(lib);
		return ret;
	}
	return 0;
}

/* A libssl mapped by pid at path (its own view): probe it unless done already. */
static void lib_add(struct tls_probe *tp, int pid, unsigned long dev, unsigned long ino,
		    const char *path)
{
	struct tls_lib *lib;
	char full[4352];

	if (lib_find(tp, dev, ino))
		return;
	if (tp->nlibs == TLS_LIBS_MAX) {
		tp->stats.attach_fail++;
		return;
	}
	lib = &tp->libs[tp->nlibs];
	memset(lib, 0, sizeof(*lib));
	lib->dev = dev;
	lib->ino = ino;
	snprintf(full, sizeof(full), "/proc/%d/root%s", pid, path);
	/* Counted as probed even on failure: one warning per file, not per scan. */
	tp->nlibs++;
	if (lib_attach(tp, lib, full)) {
		tp->stats.attach_fail++;
		return;
	}
	tp->stats.libraries++;
	pr_info("probing HTTPS through %s (pid %d's libssl)\n", path, pid);
}

/* Reads pid's maps; true when it maps a libssl (probed now or before). */
static bool scan_pid(struct tls_probe *tp, int pid)
{
	unsigned int major, minor;
	unsigned long ino;
	char name[64], line[4608], path[4096];
	bool found = false;
	FILE *f;

	snprintf(name, sizeof(name), "/proc/%d/maps", pid);
	f = fopen(name, "re");
	if (!f)
		return true; /* gone, or not ours to read: do not try again */
	while (fgets(line, sizeof(line), f)) {
		if (!strstr(line, "/libssl.so"))
			continue;
		if (sscanf(line, "%*s %*s %*s %x:%x %lu %4095s", &major, &minor, &ino, path) != 4)
			continue;
		found = true;
		lib_add(tp, pid, ((unsigned long)major << 8) | minor, ino, path);
	}
	fclose(f);
	return found;
}

void tls_probe_scan(struct tls_probe *tp)
{
	struct dirent *d;
	DIR *proc;
	long pid;

	if (!tp)
		return;
	proc = opendir("/proc");
	if (!proc)
		return;
	while ((d = readdir(proc))) {
		if (!isdigit((unsigned char)d->d_name[0]))
			continue;
		pid = strtol(d->d_name, NULL, 10);
		if (pid <= 0 || pid >= tp->pid_max || tp->seen[pid] == TLS_SEEN_DONE)
			continue;
		if (scan_pid(tp, (int)pid) || ++tp->seen[pid] >= TLS_RESCANS)
			tp->seen[pid] = TLS_SEEN_DONE;
	}
	closedir(proc);
}

void tls_probe_get_stats(const struct tls_probe *tp, struct tls_probe_stats *st)
{
	memset(st, 0, sizeof(*st));
	if (tp)
		*st = tp->stats;
}

void tls_probe_stop(struct tls_probe *tp)
{
	uint32_t i;

	if (!tp)
		return;
	for (i = 0; i < tp->nlibs; i++)
		lib_detach(&tp->libs[i]);
	bpf_link__destroy(tp->sys_enter);
	tls_bpf__destroy(tp->skel);
	free(tp->seen);
	free(tp);
}
