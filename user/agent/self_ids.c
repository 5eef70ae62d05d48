// SPDX-License-Identifier: BSD-2-Clause
/* See self_ids.h. */
#include <errno.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <linux/bpf.h>

#include "agent/self_ids.h"

enum { ID_CGROUP, ID_PID_TGID };

/*
 * Returns one id of the calling task, args[1] saying which, shifted right by
 * args[0]: BPF_PROG_TEST_RUN's return value holds 32 bits, so a 64-bit id is
 * read in two halves.
 */
static const struct bpf_insn task_id_prog[] = {
    {.code = BPF_LDX | BPF_MEM | BPF_DW, .dst_reg = BPF_REG_6, .src_reg = BPF_REG_1},
    {.code = BPF_LDX | BPF_MEM | BPF_DW, .dst_reg = BPF_REG_7, .src_reg = BPF_REG_1, .off = 8},
    {.code = BPF_ALU64 | BPF_AND | BPF_K, .dst_reg = BPF_REG_6, .imm = 63},
    {.code = BPF_JMP | BPF_JNE | BPF_K, .dst_reg = BPF_REG_7, .off = 3, .imm = ID_CGROUP},
    {.code = BPF_JMP | BPF_CALL, .imm = BPF_FUNC_get_current_cgroup_id},
    {.code = BPF_ALU64 | BPF_RSH | BPF_X, .dst_reg = BPF_REG_0, .src_reg = BPF_REG_6},
    {.code = BPF_JMP | BPF_EXIT},
    {.code = BPF_JMP | BPF_CALL, .imm = BPF_FUNC_get_current_pid_tgid},
    {.code = BPF_ALU64 | BPF_RSH | BPF_X, .dst_reg = BPF_REG_0, .src_reg = BPF_REG_6},
    {.code = BPF_JMP | BPF_EXIT},
};

static int run_once(int fd, uint64_t which, uint64_t shift, uint32_t *out)
{
	uint64_t args[2] = {shift, which};
	LIBBPF_OPTS(bpf_test_run_opts, run, .ctx_in = args, .ctx_size_in = sizeof(args));
	int ret = bpf_prog_test_run_opts(fd, &run);

	if (ret)
		return ret;
	*out = run.retval;
	return 0;
}

int self_ids_read(struct self_ids *out)
{
	uint32_t lo = 0, hi = 0, tgid = 0;
	int fd, ret;

	fd = bpf_prog_load(BPF_PROG_TYPE_RAW_TRACEPOINT, "ms_self_ids", "GPL", task_id_prog,
			   sizeof(task_id_prog) / sizeof(task_id_prog[0]), NULL);
	if (fd < 0)
		return fd;
	ret = run_once(fd, ID_CGROUP, 0, &lo);
	ret = ret ?: run_once(fd, ID_CGROUP, 32, &hi);
	ret = ret ?: run_once(fd, ID_PID_TGID, 32, &tgid);
	close(fd);
	if (ret)
		return ret;
	if (!tgid || !(lo | hi))
		return -ENOENT;
	out->tgid = tgid;
	out->cgroup_id = (uint64_t)hi << 32 | lo;
	return 0;
}
