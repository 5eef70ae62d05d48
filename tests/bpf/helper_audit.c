// SPDX-License-Identifier: BSD-2-Clause
/*
 * Lockdown audit: every helper call in meshsight's BPF programs, checked
 * against the helpers kernel lockdown refuses (and the ones our
 * no-kernel-memory-reads rule refuses), from user/agent/probe.c's table.
 *
 * It reads the instructions twice: as compiled (bpf_program__insns() of the
 * object file) and, when it can load (root), as libbpf handed them to the
 * kernel, relocated and with every subprogram appended, so a helper called
 * from a non-inlined function is seen too. Any kfunc call fails as well: the
 * kernel's kfuncs include lockdown-gated readers (bpf_probe_read_kernel_dynptr)
 * and none is expected here. A helper or map type missing from probe.c's
 * kernel tables fails, so the start-up probes and bpf/README.md cannot fall
 * behind.
 *
 *   helper_audit build/meshsight.bpf.o
 *
 * Prints one line per program and a total; exit 1 on any finding.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <bpf/libbpf.h>
#include <linux/bpf.h>

#include "agent/probe.h"

#define HELPERS_MAX 256

struct audit {
	int calls, findings, programs;
};

static void audit_program(struct audit *a, const struct bpf_program *prog, const char *when)
{
	const struct bpf_insn *insn = bpf_program__insns(prog);
	size_t i, n = bpf_program__insn_cnt(prog);
	bool seen[HELPERS_MAX] = {};
	int calls = 0, distinct = 0;
	char names[2048] = "";

	for (i = 0; i < n; i++) {
		const char *why, *name;
		int id = insn[i].imm;

		if (insn[i].code != (BPF_JMP | BPF_CALL))
			continue;
		if (insn[i].src_reg == BPF_PSEUDO_KFUNC_CALL) {
			printf("FAIL %s (%s): insn %zu calls a kfunc (btf id %d): kfuncs include "
			       "lockdown-gated kernel readers and none is allowed here\n",
			       bpf_program__name(prog), when, i, id);
			a->findings++;
			continue;
		}
		if (insn[i].src_reg != 0)
			continue; /* a call to a BPF subprogram */
		calls++;
		name = probe_helper_name(id);
		why = probe_helper_forbidden(id);
		if (why) {
			printf("FAIL %s (%s): insn %zu calls bpf_%s (#%d), refused by %s\n",
			       bpf_program__name(prog), when, i, name ? name : "?", id, why);
			a->findings++;
		}
		if (!probe_helper_since(id)) {
			printf("FAIL %s (%s): bpf_%s (#%d) has no kernel version in "
			       "user/agent/probe.c's "
			       "helper table: add it there and to bpf/README.md\n",
			       bpf_program__name(prog), when, name ? name : "?", id);
			a->findings++;
		}
		if (id >= 0 && id < HELPERS_MAX && !seen[id]) {
			seen[id] = true;
			distinct++;
			snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s%s",
				 distinct > 1 ? " " : "", name ? name : "?");
		}
	}
	printf("  %-15s %-8s %4zu insns, %3d helper calls, %2d distinct: %s\n",
	       bpf_program__name(prog), when, n, calls, distinct, names);
	a->calls += calls;
	a->programs++;
}

/* The start-up probes and bpf/README.md need a kernel for every map type too. */
static void audit_maps(struct audit *a, const struct bpf_object *obj)
{
	const struct bpf_map *map;
	int n = 0;

	bpf_object__for_each_map(map, obj)
	{
		n++;
		if (probe_map_since(bpf_map__type(map)))
			continue;
		printf("FAIL map %s: type %s has no kernel version in user/agent/probe.c's map "
		       "table: add "
		       "it there and to bpf/README.md\n",
		       bpf_map__name(map), libbpf_bpf_map_type_str(bpf_map__type(map)));
		a->findings++;
	}
	printf("  %d maps, every type with a kernel version in user/agent/probe.c\n", n);
}

static int audit_object(struct audit *a, const char *path, bool load)
{
	struct bpf_object *obj = bpf_object__open_file(path, NULL);
	struct bpf_program *prog;
	int ret = 0;

	if (!obj) {
		fprintf(stderr, "helper_audit: cannot open %s: %s (run make first)\n", path,
			strerror(errno));
		return -errno;
	}
	if (load) {
		ret = bpf_object__load(obj);
		if (ret) {
			fprintf(stderr, "helper_audit: cannot load %s: %s\n", path, strerror(-ret));
			goto out;
		}
	}
	bpf_object__for_each_program(prog, obj)
	{
		audit_program(a, prog, load ? "loaded" : "object");
	}
	if (!load)
		audit_maps(a, obj);
out:
	bpf_object__close(obj);
	return ret;
}

int main(int argc, char **argv)
{
	const char *path = argc > 1 ? argv[1] : "build/meshsight.bpf.o";
	struct audit a = {};

	printf("helper audit of %s (refused: bpf_probe_read*, bpf_probe_write_user, kernel-pointer "
	       "helpers, kfuncs)\n",
	       path);
	if (audit_object(&a, path, false))
		return 1;
	if (geteuid() == 0 && audit_object(&a, path, true))
		return 1;
	if (geteuid() != 0)
		printf("  (not root: the loaded instructions were not audited)\n");
	printf("helper audit: %d program images, %d helper calls, %d findings\n", a.programs,
	       a.calls, a.findings);
	return a.findings ? 1 : 0;
}
