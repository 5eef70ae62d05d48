/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Trace output only in -DBPF_DEBUG builds: bpf_printk is slow and global. */
#ifndef MESHSIGHT_DEBUG_H
#define MESHSIGHT_DEBUG_H

#ifdef BPF_DEBUG
#define ms_dbg(fmt, ...) bpf_printk(fmt, ##__VA_ARGS__)
#else
#define ms_dbg(fmt, ...)                                                                           \
	do {                                                                                       \
	} while (0)
#endif

#endif /* MESHSIGHT_DEBUG_H */
