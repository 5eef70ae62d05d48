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
 * Only processes in the watched cgroup subtree are looked at (tls_probe_watch),
 * though a probed file then covers every process that maps it.
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

#include "lib/log.h"
#include "agent/tls_probe.h"
#include "agent/tls_uprobe_multi.h"

#define TLS_RESCANS    8	/* scans a process without libssl is looked at again */
#define TLS_SEEN_DONE  0xff	/* this pid is done: libssl found, or gave up */
#define TLS_PID_MAX    4194304u /* PID_MAX_LIMIT on 64-bit */
#define TLS_LIBS_MAX   64	/* distinct libssl files probed */
#define TLS_FUNCS      5	/* functions probed */
#define TLS_PROBES_MAX 10	/* entry and return of each, as perf-event uprobes */

struct tls_lib {
	unsigned long dev; /* makedev(major, minor) as on the maps line */
	unsigned long ino;
	struct bpf_link *links[TLS_PROBES_MAX]; /* perf-event uprobes */
	int fds[TLS_FUNCS + 1];			/* or uprobe_multi links: entries, then returns */
};

struct tls_probe {
	struct tls_bpf *skel;
	struct bpf_link *sys_enter;
	uint8_t *seen; /* by pid: scans without libssl, or TLS_SEEN_DONE */
	uint32_t pid_max;
	struct tls_lib libs[TLS_LIBS_MAX];
	uint32_t nlibs;
	bool multi;  /* uprobe_multi links (6.6+, no CAP_SYS_ADMIN); else perf-event uprobes */
	char *watch; /* cgroup path prefix of the processes looked at; NULL: all */
	struct tls_probe_stats stats;
};

/* The functions, in the order of the entry programs (tls_entry_prog). */
static const char *const tls_funcs[TLS_FUNCS] = {
    "SSL_write", "SSL_read", "SSL_do_handshake", "SSL_write_ex", "SSL_read_ex",
};
#define TLS_FUNCS_REQUIRED 3 /* the _ex forms are OpenSSL 1.1.1 and later */

static struct bpf_program *tls_entry_prog(const struct tls_probe *tp, int i)
{
	struct bpf_program *entry[TLS_FUNCS] = {
	    tp->skel->progs.ms_ssl_write,     tp->skel->progs.ms_ssl_read,
	    tp->skel->progs.ms_ssl_handshake, tp->skel->progs.ms_ssl_write_ex,
	    tp->skel->progs.ms_ssl_read_ex,
	};

	return entry[i];
}

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
	return probe_table[i].ret ? tp->skel->progs.ms_ssl_ret : tls_entry_prog(tp, i / 2);
}

/* The programs must be loaded for the kind of attachment they will get. */
static void choose_attach(struct tls_probe *tp)
{
	int i;

	tp->multi = tls_umulti_supported();
	if (!tp->multi) {
		pr_info("TLS probes: no uprobe_multi links on this kernel (Linux 6.6+); perf-event "
			"uprobes instead, which need CAP_SYS_ADMIN on current kernels\n");
		return;
	}
	for (i = 0; i < TLS_FUNCS; i++)
		bpf_program__set_expected_attach_type(
		    tls_entry_prog(tp, i), (enum bpf_attach_type)TLS_ATTACH_UPROBE_MULTI);
	bpf_program__set_expected_attach_type(tp->skel->progs.ms_ssl_ret,
					      (enum bpf_attach_type)TLS_ATTACH_UPROBE_MULTI);
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
		    uint32_t self_tgid, char *err, size_t errlen)
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
	tp->skel->rodata->cfg_tls_self_tgid = self_tgid;
	choose_attach(tp);
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
	for (i = 0; i <= TLS_FUNCS; i++) {
		if (lib->fds[i] > 0)
			close(lib->fds[i]);
		lib->fds[i] = 0;
	}
}

static int attach_warn(struct tls_lib *lib, const char *what, const char *path, int ret)
{
	pr_warn("cannot probe %s in %s: %s; HTTPS through this libssl is reported as tcp (the "
		"agent needs CAP_BPF, CAP_PERFMON and CAP_SYS_PTRACE, and the library must export "
		"OpenSSL's SSL_* functions)\n",
		what, path, strerror(-ret));
	lib_detach(lib);
	return ret;
}

/*
 * uprobe_multi: one link per entry program (one function each) and one for
 * the return program on every function found: 6 links per library.
 */
static int lib_attach_multi(struct tls_probe *tp, struct tls_lib *lib, const char *path)
{
	uint64_t offs[TLS_FUNCS], ret_offs[TLS_FUNCS];
	uint32_t i, n = 0;
	int ret = tls_elf_func_offsets(path, tls_funcs, TLS_FUNCS, offs);

	if (ret)
		return attach_warn(lib, "its symbol table", path, ret);
	for (i = 0; i < TLS_FUNCS; i++) {
		if (!offs[i]) {
			if (i < TLS_FUNCS_REQUIRED)
				return attach_warn(lib, tls_funcs[i], path, -ENOENT);
			continue;
		}
		ret = tls_umulti_attach(bpf_program__fd(tls_entry_prog(tp, i)), path, &offs[i], 1,
					false);
		if (ret < 0)
			return attach_warn(lib, tls_funcs[i], path, ret);
		lib->fds[i] = ret;
		ret_offs[n++] = offs[i];
	}
	ret =
	    tls_umulti_attach(bpf_program__fd(tp->skel->progs.ms_ssl_ret), path, ret_offs, n, true);
	if (ret < 0)
		return attach_warn(lib, "the SSL_* returns", path, ret);
	lib->fds[TLS_FUNCS] = ret;
	return 0;
}

/* Perf-event uprobes, one per function and direction: needs CAP_SYS_ADMIN (see above). */
static int lib_attach_perf(struct tls_probe *tp, struct tls_lib *lib, const char *path)
{
	LIBBPF_OPTS(bpf_uprobe_opts, o);
	int i;

	for (i = 0; i < TLS_PROBES_MAX; i++) {
		o.func_name = probe_table[i].func;
		o.retprobe = probe_table[i].ret;
		lib->links[i] = bpf_program__attach_uprobe_opts(probe_prog(tp, i), -1, path, 0, &o);
		if (lib->links[i] || !probe_table[i].required)
			continue;
		lib->links[i] = NULL;
		return attach_warn(lib, probe_table[i].func, path, -errno);
	}
	return 0;
}

/* Attaches every probe to path; 0, or -errno when a required one failed. */
static int lib_attach(struct tls_probe *tp, struct tls_lib *lib, const char *path)
{
	return tp->multi ? lib_attach_multi(tp, lib, path) : lib_attach_perf(tp, lib, path);
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

int tls_probe_watch(struct tls_probe *tp, const char *rel)
{
	free(tp->watch);
	tp->watch = NULL;
	if (!rel || !rel[0] || !strcmp(rel, "/"))
		return 0;
	tp->watch = strdup(rel);
	return tp->watch ? 0 : -ENOMEM;
}

/*
 * Is pid in the watched subtree? Its "0::/path" line of /proc/PID/cgroup,
 * compared as a path prefix. One small read per new process; a process
 * outside may still move in, so the caller looks again on the next scans.
 * A path outside the agent's cgroup namespace ("/../...", an agent in a
 * container of its own) cannot be compared: such a process counts as
 * watched, since probing a library too many costs only time.
 */
static bool pid_watched(const struct tls_probe *tp, int pid)
{
	size_t n = tp->watch ? strlen(tp->watch) : 0;
	char name[64], line[4200];
	bool in = false;
	FILE *f;

	if (!n)
		return true;
	snprintf(name, sizeof(name), "/proc/%d/cgroup", pid);
	f = fopen(name, "re");
	if (!f)
		return false;
	while (!in && fgets(line, sizeof(line), f)) {
		if (strncmp(line, "0::", 3))
			continue;
		in = !strncmp(line + 3, "/..", 3) ||
		     (!strncmp(line + 3, tp->watch, n) &&
		      (line[3 + n] == '/' || line[3 + n] == '\n' || !line[3 + n]));
	}
	fclose(f);
	return in;
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
		if ((pid_watched(tp, (int)pid) && scan_pid(tp, (int)pid)) ||
		    ++tp->seen[pid] >= TLS_RESCANS)
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
	free(tp->watch);
	free(tp->seen);
	free(tp);
}
