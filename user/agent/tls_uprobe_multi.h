/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * uprobe_multi BPF links (Linux 6.6+) for the TLS probes, by raw bpf(2),
 * because this libbpf (1.1) predates them, and the ELF lookups they need.
 *
 *   tls_umulti_supported()  can this kernel and these privileges make one?
 *   tls_elf_func_offsets()  file offsets of functions in a shared object
 *   tls_umulti_attach()     one link: a program on cnt offsets of one file
 *
 * Why not perf-event uprobes (libbpf's bpf_program__attach_uprobe_opts)?
 * Creating one needs CAP_SYS_ADMIN again since a 2025 fix
 * (perf_uprobe_event_init went back from perfmon_capable() to
 * capable(CAP_SYS_ADMIN), backported to the stable kernels); a uprobe_multi
 * link needs only what loading the program needed, CAP_BPF + CAP_PERFMON.
 */
#ifndef MESHSIGHT_TLS_UPROBE_MULTI_H
#define MESHSIGHT_TLS_UPROBE_MULTI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* enum bpf_attach_type BPF_TRACE_UPROBE_MULTI, and its return-probe flag. */
#define TLS_ATTACH_UPROBE_MULTI 48
#define TLS_UPROBE_MULTI_RETURN 1u

bool tls_umulti_supported(void);
/* offs[i] = file offset of the function names[i], 0 when it is not defined there. -errno. */
int tls_elf_func_offsets(const char *path, const char *const names[], size_t n, uint64_t offs[]);
/* A link fd (close it to detach) or -errno. */
int tls_umulti_attach(int prog_fd, const char *path, const uint64_t *offs, uint32_t cnt, bool ret);

#endif /* MESHSIGHT_TLS_UPROBE_MULTI_H */
