// SPDX-License-Identifier: BSD-2-Clause
/*
 * See probe.h. One table of rows, filled in three steps: the fixed needs
 * (BTF, cgroup v2, program types, BPF links, batch map reads), then one row
 * per map type the object declares and per (program type, helper) pair its
 * programs call, then each row's probe (libbpf's for map types; our own for
 * program types and helpers, where libbpf 1.1 takes EPERM or a hook's refusal
 * for an answer). Start-up and --check read the same rows, so the table
 * --check prints is exactly what start-up enforces.
 *
 * Versions are those of the upstream commit that introduced the feature
 * (bpf/README.md has the table with sources); the probe, not the version
 * number, decides, so a distribution kernel with a backport passes.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <linux/magic.h>

#include "meshsight.skel.h"

#include "lib/log.h"
#include "agent/probe.h"

#define BTF_VMLINUX   "/sys/kernel/btf/vmlinux"
#define LOCKDOWN      "/sys/kernel/security/lockdown"
#define ROWS_MAX      64
#define HELPER_ID_MAX 256

/* --- helpers: names, kernels, and the ones that must never appear ------- */

/* The mapper puts the commas; old and new uapi headers alike. */
#define HELPER_NAME(x) [BPF_FUNC_##x] = #x
static const char *const helper_names[] = {__BPF_FUNC_MAPPER(HELPER_NAME)};
#undef HELPER_NAME

const char *probe_helper_name(int id)
{
	if (id < 0 || (size_t)id >= sizeof(helper_names) / sizeof(helper_names[0]))
		return NULL;
	return helper_names[id];
}

/*
 * Every helper meshsight's programs call, with the kernel that introduced it
 * (iovisor/bcc docs/kernel-versions.md, from the upstream commits) and, where
 * a hook got it later than the helper appeared, that hook's kernel.
 * tests/bpf/helper_audit.c fails when a program calls a helper missing here.
 */
struct helper_since {
	int id;
	const char *since;	   /* helper introduced */
	const char *sockops_since; /* available to sockops, when later */
	bool sockops_optional;	   /* sockops calls it only under cfg_sockops_task */
};

static const struct helper_since helper_kernels[] = {
    {BPF_FUNC_map_lookup_elem, "3.19", NULL, false},
    {BPF_FUNC_map_update_elem, "3.19", NULL, false},
    {BPF_FUNC_map_delete_elem, "3.19", NULL, false},
    {BPF_FUNC_ktime_get_ns, "4.1", NULL, false},
    {BPF_FUNC_skb_load_bytes, "4.5", NULL, false},
    {BPF_FUNC_get_socket_cookie, "4.12", NULL, false},
    {BPF_FUNC_sock_ops_cb_flags_set, "4.16", NULL, false},
    {BPF_FUNC_skb_cgroup_id, "4.18", NULL, false},
    {BPF_FUNC_sk_fullsock, "5.1", NULL, false},
    {BPF_FUNC_tcp_sock, "5.1", NULL, false},
    {BPF_FUNC_sk_storage_get, "5.2", "5.3", false},
    {BPF_FUNC_ringbuf_output, "5.8", NULL, false},
    {BPF_FUNC_ringbuf_reserve, "5.8", NULL, false},
    {BPF_FUNC_ringbuf_submit, "5.8", NULL, false},
    {BPF_FUNC_ringbuf_query, "5.8", NULL, false},
    /* Process context only; sockops got them late (bpf_base_func_proto). */
    {BPF_FUNC_get_current_pid_tgid, "4.2", "6.10", true},
    {BPF_FUNC_get_current_comm, "4.2", "~6.17", true},
    {BPF_FUNC_get_netns_cookie, "5.6", "5.15", true},
};

static const struct helper_since *helper_kernel(int id)
{
	size_t i;

	for (i = 0; i < sizeof(helper_kernels) / sizeof(helper_kernels[0]); i++)
		if (helper_kernels[i].id == id)
			return &helper_kernels[i];
	return NULL;
}

/* Every map type the object declares (its .rodata is an array map). */
static const struct {
	int type;
	const char *since;
} map_kernels[] = {
    {BPF_MAP_TYPE_HASH, "3.19"},	{BPF_MAP_TYPE_ARRAY, "3.19"},
    {BPF_MAP_TYPE_PERCPU_ARRAY, "4.6"}, {BPF_MAP_TYPE_SK_STORAGE, "5.2"},
    {BPF_MAP_TYPE_RINGBUF, "5.8"},
};

const char *probe_map_since(int type)
{
	size_t i;

	for (i = 0; i < sizeof(map_kernels) / sizeof(map_kernels[0]); i++)
		if (map_kernels[i].type == type)
			return map_kernels[i].since;
	return NULL;
}

const char *probe_helper_since(int id)
{
	const struct helper_since *h = helper_kernel(id);

	return h ? h->since : NULL;
}

/*
 * Refused under kernel lockdown: the helper's proto is withdrawn when
 * security_locked_down() says no (kernel/bpf/helpers.c bpf_base_func_proto,
 * kernel/trace/bpf_trace.c bpf_tracing_func_proto), so the verifier rejects
 * the whole program. Also refused by our own rule: helpers whose result is a
 * kernel pointer to read through (lockdown allows those loads, but they are
 * kernel-memory reads all the same and tie the program to kernel layouts).
 */
static const struct {
	int id;
	const char *why;
} forbidden[] = {
    {BPF_FUNC_probe_read, "lockdown=confidentiality (LOCKDOWN_BPF_READ_KERNEL)"},
    {BPF_FUNC_probe_read_str, "lockdown=confidentiality (LOCKDOWN_BPF_READ_KERNEL)"},
    {BPF_FUNC_probe_read_kernel, "lockdown=confidentiality (LOCKDOWN_BPF_READ_KERNEL)"},
    {BPF_FUNC_probe_read_kernel_str, "lockdown=confidentiality (LOCKDOWN_BPF_READ_KERNEL)"},
    {BPF_FUNC_probe_write_user, "lockdown=integrity and up (LOCKDOWN_BPF_WRITE_USER)"},
    {BPF_FUNC_get_current_task, "kernel pointer for probe reads (our rule)"},
    {BPF_FUNC_get_current_task_btf, "kernel pointer read through BTF (our rule)"},
    {BPF_FUNC_skc_to_tcp6_sock, "kernel pointer read through BTF (our rule)"},
    {BPF_FUNC_skc_to_tcp_sock, "kernel pointer read through BTF (our rule)"},
    {BPF_FUNC_skc_to_tcp_timewait_sock, "kernel pointer read through BTF (our rule)"},
    {BPF_FUNC_skc_to_tcp_request_sock, "kernel pointer read through BTF (our rule)"},
    {BPF_FUNC_skc_to_udp6_sock, "kernel pointer read through BTF (our rule)"},
    {BPF_FUNC_skc_to_unix_sock, "kernel pointer read through BTF (our rule)"},
    {BPF_FUNC_skc_to_mptcp_sock, "kernel pointer read through BTF (our rule)"},
    {BPF_FUNC_sock_from_file, "kernel pointer read through BTF (our rule)"},
    {BPF_FUNC_per_cpu_ptr, "kernel pointer read through BTF (our rule)"},
    {BPF_FUNC_this_cpu_ptr, "kernel pointer read through BTF (our rule)"},
    {BPF_FUNC_task_pt_regs, "kernel pointer read through BTF (our rule)"},
};

const char *probe_helper_forbidden(int id)
{
	size_t i;

	for (i = 0; i < sizeof(forbidden) / sizeof(forbidden[0]); i++)
		if (forbidden[i].id == id)
			return forbidden[i].why;
	return NULL;
}

/* --- the rows ------------------------------------------------------------ */

enum row_kind {
	ROW_BTF,
	ROW_CGROUP2,
	ROW_PROG,
	ROW_MAP,
	ROW_LINK,
	ROW_BATCH,
	ROW_HELPER,
	ROW_SELF_IDS,
};

struct row {
	enum row_kind kind;
	char what[64];
	const char *since;
	const char *fix; /* what to do when missing; NULL: upgrade the kernel */
	bool optional;
	int prog_type, map_type, helper;
	int status; /* 1 present, 0 missing, -errno: the probe could not tell */
};

struct table {
	struct row rows[ROWS_MAX];
	int n;
	int forbidden_calls; /* calls to probe_helper_forbidden() helpers in the programs */
};

static struct row *add_row(struct table *t, enum row_kind kind, const char *since, const char *fix)
{
	struct row *r;

	if (t->n == ROWS_MAX)
		return NULL;
	r = &t->rows[t->n++];
	memset(r, 0, sizeof(*r));
	r->kind = kind;
	r->since = since;
	r->fix = fix;
	return r;
}

static void add_fixed_rows(struct table *t)
{
	static const struct {
		int type;
		const char *since;
	} progs[] = {{BPF_PROG_TYPE_SOCK_OPS, "4.13"}, {BPF_PROG_TYPE_CGROUP_SKB, "4.10"}};
	struct row *r;
	size_t i;

	r = add_row(t, ROW_BTF, "5.4",
		    "boot a kernel built with CONFIG_DEBUG_INFO_BTF=y (every major distribution's "
		    "kernel since 2021 is)");
	snprintf(r->what, sizeof(r->what), "kernel BTF (%s)", BTF_VMLINUX);
	r = add_row(t, ROW_CGROUP2, "4.5", "boot a kernel built with CONFIG_CGROUPS=y");
	snprintf(r->what, sizeof(r->what), "cgroup v2 filesystem");
	for (i = 0; i < sizeof(progs) / sizeof(progs[0]); i++) {
		r = add_row(t, ROW_PROG, progs[i].since, "the kernel needs CONFIG_CGROUP_BPF=y");
		r->prog_type = progs[i].type;
		snprintf(r->what, sizeof(r->what), "program type %s",
			 libbpf_bpf_prog_type_str(progs[i].type));
	}
	r = add_row(t, ROW_LINK, "5.7", NULL);
	snprintf(r->what, sizeof(r->what), "BPF links on cgroups (BPF_LINK_CREATE)");
	r = add_row(t, ROW_BATCH, "5.6", NULL);
	snprintf(r->what, sizeof(r->what), "batched map reads (BPF_MAP_LOOKUP_BATCH)");
	r = add_row(t, ROW_SELF_IDS, "5.10",
		    "without it the agent's own connections may show as edges when it runs "
		    "outside the host's pid namespace");
	if (!r)
		return;
	snprintf(r->what, sizeof(r->what), "own pid and cgroup (raw_tp test run)");
	r->optional = true;
}

static bool have_row(const struct table *t, enum row_kind kind, int type, int helper)
{
	int i;

	for (i = 0; i < t->n; i++)
		if (t->rows[i].kind == kind && t->rows[i].helper == helper &&
		    (kind == ROW_MAP ? t->rows[i].map_type : t->rows[i].prog_type) == type)
			return true;
	return false;
}

static void add_map_row(struct table *t, int map_type)
{
	const char *since = probe_map_since(map_type);
	struct row *r;

	if (have_row(t, ROW_MAP, map_type, 0))
		return;
	r = add_row(t, ROW_MAP, since ? since : "?", NULL);
	if (!r)
		return;
	r->map_type = map_type;
	snprintf(r->what, sizeof(r->what), "map type %s", libbpf_bpf_map_type_str(map_type));
}

static void add_helper_row(struct table *t, int prog_type, int helper)
{
	const struct helper_since *k = helper_kernel(helper);
	bool sockops = prog_type == BPF_PROG_TYPE_SOCK_OPS;
	const char *name = probe_helper_name(helper);
	struct row *r;

	if (have_row(t, ROW_HELPER, prog_type, helper))
		return;
	r = add_row(t, ROW_HELPER, "?", NULL);
	if (!r)
		return;
	if (k)
		r->since = sockops && k->sockops_since ? k->sockops_since : k->since;
	r->optional = k && sockops && k->sockops_optional;
	if (r->optional)
		r->fix = "without it, process names come from the socket's cgroup";
	r->prog_type = prog_type;
	r->helper = helper;
	snprintf(r->what, sizeof(r->what), "helper %s in %s", name ? name : "?",
		 libbpf_bpf_prog_type_str(prog_type));
}

static int cmp_rows(const void *a, const void *b)
{
	const struct row *x = a, *y = b;

	if (x->kind != y->kind)
		return x->kind - y->kind;
	if (x->map_type != y->map_type)
		return x->map_type - y->map_type;
	if (x->prog_type != y->prog_type)
		return x->prog_type - y->prog_type;
	return x->helper - y->helper;
}

/*
 * One row per map type the object declares and per (program type, helper)
 * its programs call (counting calls to forbidden helpers). These are the
 * compiled instructions: a helper called only from a non-inlined subprogram
 * would be missed here (every function is __always_inline today), while
 * tests/bpf/helper_audit.c also reads the loaded ones.
 */
static int add_object_rows(struct table *t)
{
	struct meshsight_bpf *skel = meshsight_bpf__open();
	struct bpf_program *prog;
	struct bpf_map *map;
	int first = t->n;

	if (!skel)
		return -errno;
	bpf_object__for_each_map(map, skel->obj)
	{
		add_map_row(t, bpf_map__type(map));
	}
	bpf_object__for_each_program(prog, skel->obj)
	{
		const struct bpf_insn *insn = bpf_program__insns(prog);
		size_t i, n = bpf_program__insn_cnt(prog);

		for (i = 0; i < n; i++) {
			if (insn[i].code != (BPF_JMP | BPF_CALL) || insn[i].src_reg != 0)
				continue;
			if (probe_helper_forbidden(insn[i].imm))
				t->forbidden_calls++;
			add_helper_row(t, bpf_program__type(prog), insn[i].imm);
		}
	}
	meshsight_bpf__destroy(skel);
	qsort(&t->rows[first], t->n - first, sizeof(t->rows[0]), cmp_rows);
	if (t->n == ROWS_MAX)
		pr_warn("probe: the feature table is full, some rows were left out: raise ROWS_MAX "
			"in user/agent/probe.c\n");
	return 0;
}

/* --- the probes ---------------------------------------------------------- */

static int probe_btf(void)
{
	struct btf *btf;

	if (access(BTF_VMLINUX, R_OK))
		return 0;
	btf = btf__load_vmlinux_btf();
	if (!btf)
		return 0;
	btf__free(btf);
	return 1;
}

static int probe_cgroup2(void)
{
	char line[128];
	FILE *f = fopen("/proc/filesystems", "re");
	int found = 0;

	if (!f)
		return -errno;
	while (!found && fgets(line, sizeof(line), f))
		found = strcmp(line, "nodev\tcgroup2\n") == 0;
	fclose(f);
	return found;
}

/* No side effect: an invalid program fd gets EBADF where the command exists, EINVAL before. */
static int probe_link(void)
{
	int ret = bpf_link_create(-1, -1, BPF_CGROUP_INET_EGRESS, NULL);

	if (ret >= 0) {
		close(ret);
		return 1;
	}
	if (ret == -EBADF)
		return 1;
	return ret == -EINVAL ? 0 : ret;
}

static int probe_batch(void)
{
	__u32 keys[1], vals[1], count = 1, out;
	int ret, fd = bpf_map_create(BPF_MAP_TYPE_HASH, "ms_probe", 4, 4, 1, NULL);

	if (fd < 0)
		return fd;
	ret = bpf_map_lookup_batch(fd, NULL, &out, keys, vals, &count, NULL);
	close(fd);
	if (ret == 0 || ret == -ENOENT)
		return 1; /* an empty map answers ENOENT where the command exists */
	return ret == -EINVAL ? 0 : ret;
}

/*
 * libbpf's prog-type probe answers "missing" to EPERM too (no CAP_NET_ADMIN
 * for these network types), which would blame the kernel for a missing
 * capability. Here EPERM is "cannot tell" and only EINVAL (unknown type) is
 * "missing".
 */
static int probe_prog_type(int prog_type)
{
	struct bpf_insn insns[] = {
	    {.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 1},
	    {.code = BPF_JMP | BPF_EXIT},
	};
	int fd = bpf_prog_load(prog_type, NULL, "GPL", insns, 2, NULL);

	if (fd >= 0) {
		close(fd);
		return 1;
	}
	return fd == -EINVAL ? 0 : fd;
}

/*
 * libbpf_probe_bpf_helper() of libbpf 1.1 takes "program of this type cannot
 * use helper" (the verifier's answer when a helper exists but the hook or the
 * caller's privilege excludes it) for "supported", so the probe is done here:
 * a two-instruction program calling the helper, and the verifier's log read
 * for the three ways it says "not for you". Any other rejection (argument
 * types: the probe passes none) means the helper is there.
 */
static int probe_helper(int prog_type, int helper)
{
	static const char *const refusals[] = {"invalid func ", "unknown func ",
					       "cannot use helper "};
	struct bpf_insn insns[] = {
	    {.code = BPF_JMP | BPF_CALL, .imm = helper},
	    {.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0},
	    {.code = BPF_JMP | BPF_EXIT},
	};
	char log[4096] = "";
	LIBBPF_OPTS(bpf_prog_load_opts, opts, .log_buf = log, .log_size = sizeof(log),
		    .log_level = 1);
	size_t i;
	int fd;

	fd = bpf_prog_load(prog_type, NULL, "GPL", insns, sizeof(insns) / sizeof(insns[0]), &opts);
	if (fd >= 0) {
		close(fd);
		return 1;
	}
	if (fd == -EPERM)
		return fd;
	for (i = 0; i < sizeof(refusals) / sizeof(refusals[0]); i++)
		if (strstr(log, refusals[i]))
			return 0;
	return 1;
}

/* Keeps what the program answered: the agent tells its own sockets by it. */
static int probe_self_ids(struct probe_caps *caps)
{
	caps->self_err = self_ids_read(&caps->self);
	if (!caps->self_err)
		return 1;
	return caps->self_err == -EPERM || caps->self_err == -EACCES ? caps->self_err : 0;
}

static int probe_row(const struct row *r, struct probe_caps *caps)
{
	switch (r->kind) {
	case ROW_BTF:
		return probe_btf();
	case ROW_CGROUP2:
		return probe_cgroup2();
	case ROW_PROG:
		return probe_prog_type(r->prog_type);
	case ROW_MAP:
		return libbpf_probe_bpf_map_type(r->map_type, NULL);
	case ROW_LINK:
		return probe_link();
	case ROW_BATCH:
		return probe_batch();
	case ROW_HELPER:
		return probe_helper(r->prog_type, r->helper);
	case ROW_SELF_IDS:
		return probe_self_ids(caps);
	}
	return -EINVAL;
}

/*
 * libbpf's probes answer "missing" when the load fails for lack of privilege,
 * so privilege is tested first: without it the rows read "unknown (EPERM)",
 * not a wrong "MISSING".
 */
static int probe_privileged(void)
{
	int fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "ms_probe", 4, 4, 1, NULL);

	if (fd < 0)
		return fd == -EPERM || fd == -EACCES ? -EPERM : 1;
	close(fd);
	return 1;
}

/*
 * For tests only: every row whose name contains $MESHSIGHT_PROBE_PRETEND_MISSING
 * reads "missing", so the message and the fallback a kernel without the
 * feature gets can be exercised on one that has it.
 */
static bool pretend_missing(const struct row *r)
{
	const char *what = getenv("MESHSIGHT_PROBE_PRETEND_MISSING");

	return what && what[0] && strstr(r->what, what);
}

static int build_table(struct table *t, struct probe_caps *caps)
{
	int i, ret, priv = probe_privileged();

	memset(t, 0, sizeof(*t));
	add_fixed_rows(t);
	ret = add_object_rows(t);
	if (ret)
		return ret;
	caps->sockops_task = true;
	caps->self_err = -ENOENT; /* until its row is probed */
	for (i = 0; i < t->n; i++) {
		bool needs_bpf = t->rows[i].kind != ROW_BTF && t->rows[i].kind != ROW_CGROUP2;

		t->rows[i].status = needs_bpf && priv < 0 ? priv : probe_row(&t->rows[i], caps);
		if (pretend_missing(&t->rows[i]))
			t->rows[i].status = 0;
		/* The optional helper rows are the current-task helpers of sockops. */
		if (t->rows[i].kind == ROW_HELPER && t->rows[i].optional && t->rows[i].status != 1)
			caps->sockops_task = false;
	}
	return 0;
}

static void missing_line(const struct row *r, char *buf, size_t len)
{
	char fix[160];

	if (r->fix)
		snprintf(fix, sizeof(fix), "%s", r->fix);
	else
		snprintf(fix, sizeof(fix),
			 "run a newer kernel (meshsight supports Linux %s and later)",
			 PROBE_OLDEST_KERNEL);
	snprintf(buf, len,
		 "this kernel lacks %s (in Linux %s and later): %s; 'meshsight --check' lists "
		 "every feature",
		 r->what, r->since, fix);
}

int probe_kernel(struct probe_caps *caps, char *err, size_t errlen)
{
	const struct row *first_unknown = NULL;
	static struct table t;
	int i, ret, unknown = 0;

	ret = build_table(&t, caps);
	if (ret) {
		snprintf(err, errlen,
			 "cannot read meshsight's own BPF object to probe the kernel: %s",
			 strerror(-ret));
		return ret;
	}
	for (i = 0; i < t.n; i++) {
		const struct row *r = &t.rows[i];

		if (r->status < 0) {
			if (!unknown++)
				first_unknown = r;
		} else if (r->status == 0 && r->optional) {
			pr_info("kernel feature missing: %s (Linux %s): %s\n", r->what, r->since,
				r->fix);
		} else if (r->status == 0) {
			missing_line(r, err, errlen);
			return -EOPNOTSUPP;
		}
	}
	if (first_unknown)
		pr_warn("cannot probe %d kernel features, e.g. %s (%s); trying the load anyway\n",
			unknown, first_unknown->what, strerror(-first_unknown->status));
	return 0;
}

/* --- --check ------------------------------------------------------------- */

static bool is_securityfs(const char *path)
{
	struct statfs sfs;

	return !statfs(path, &sfs) && sfs.f_type == SECURITYFS_MAGIC;
}

/* "[none] integrity confidentiality" -> "none"; the brackets mark the level. */
static void lockdown_level(char *buf, size_t len)
{
	char line[128], *open, *close_;
	FILE *f = fopen(LOCKDOWN, "re");

	if (!f) {
		snprintf(buf, len, "%s",
			 is_securityfs("/sys/kernel/security")
			     ? "none (no lockdown LSM in this kernel)"
			     : "not reported (securityfs is not mounted; 'mount -t securityfs "
			       "none /sys/kernel/security' shows it)");
		return;
	}
	snprintf(buf, len, "not reported (%s unreadable)", LOCKDOWN);
	if (fgets(line, sizeof(line), f) && (open = strchr(line, '[')) &&
	    (close_ = strchr(open, ']'))) {
		*close_ = '\0';
		snprintf(buf, len, "%s", open + 1);
	}
	fclose(f);
}

/* The real programs through the verifier, exactly as start-up sizes them; never attached. */
static int load_programs(const struct probe_caps *caps)
{
	struct meshsight_bpf *skel = meshsight_bpf__open();
	int ret;

	if (!skel)
		return -errno;
	skel->rodata->cfg_sockops_task = caps->sockops_task;
	ret = meshsight_bpf__load(skel);
	meshsight_bpf__destroy(skel);
	return ret;
}

static const char *status_str(const struct row *r)
{
	if (r->status == 1)
		return "ok";
	if (r->status == 0)
		return r->optional ? "missing (optional)" : "MISSING";
	return "unknown";
}

int probe_check(FILE *out)
{
	static struct table t;
	struct probe_caps caps;
	struct utsname u;
	char level[160], line[512];
	int i, ret, bad = 0, missing = 0, unknown = 0;

	if (uname(&u))
		snprintf(u.release, sizeof(u.release), "?");
	lockdown_level(level, sizeof(level));
	ret = build_table(&t, &caps);
	if (ret) {
		fprintf(out, "meshsight --check: cannot read the embedded BPF object: %s\n",
			strerror(-ret));
		return 1;
	}
	fprintf(out, "meshsight --check: Linux %s, lockdown %s; oldest supported kernel %s\n",
		u.release, level, PROBE_OLDEST_KERNEL);
	fprintf(out, "%-46s %-8s %-6s %s\n", "feature", "needed", "since", "status");
	for (i = 0; i < t.n; i++) {
		const struct row *r = &t.rows[i];

		fprintf(out, "%-46s %-8s %-6s %s", r->what, r->optional ? "optional" : "required",
			r->since, status_str(r));
		if (r->status < 0)
			fprintf(out, " (%s)", strerror(-r->status));
		fputc('\n', out);
		bad += !r->optional && r->status != 1;
	}
	fprintf(out, "%-46s %-8s %-6s %s\n", "lockdown-restricted helpers in the programs", "none",
		"-", t.forbidden_calls ? "PRESENT" : "none");
	bad += t.forbidden_calls != 0;
	ret = bad ? -EOPNOTSUPP : load_programs(&caps);
	fprintf(out, "%-46s %-8s %-6s %s\n", "meshsight's programs pass the verifier", "required",
		"-",
		bad   ? "not tried"
		: ret ? strerror(-ret)
		      : "ok");
	if (!bad && ret)
		bad++;
	for (i = 0; i < t.n; i++) {
		if (!t.rows[i].optional && t.rows[i].status == 0) {
			missing_line(&t.rows[i], line, sizeof(line));
			fprintf(out, "%s\n", line);
			break;
		}
	}
	for (i = 0; i < t.n; i++) {
		missing += !t.rows[i].optional && t.rows[i].status == 0;
		unknown += !t.rows[i].optional && t.rows[i].status < 0;
	}
	if (missing || t.forbidden_calls || (bad && !unknown))
		fprintf(out, "check: this kernel cannot run meshsight (see above)\n");
	else if (unknown)
		fprintf(
		    out,
		    "check: %d features could not be probed (not permitted?): run it as root or "
		    "with CAP_BPF, CAP_PERFMON and CAP_NET_ADMIN\n",
		    unknown);
	else
		fprintf(out, "check: every required feature is present; nothing was attached\n");
	return bad ? 1 : 0;
}
