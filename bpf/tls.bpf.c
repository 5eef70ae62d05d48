// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * HTTPS read through OpenSSL: uprobes on libssl's SSL_write/SSL_read (and
 * their _ex forms, and SSL_do_handshake), and a raw tracepoint on syscall
 * entry that finds the TCP socket underneath.
 *
 * The socket layer sees only ciphertext on such a connection; the library
 * holds the clear bytes. The entry probe records "this thread is inside an
 * SSL call on SSL object X, buffer B"; the library then reads or writes the
 * socket from the same thread, and sys_enter reads that fd's socket cookie
 * from the task's file table (the cookie sockops gave the socket with
 * bpf_get_socket_cookie, so the bytes land on the very connection the
 * socket hooks report); the return probe sends the first cfg_capture_bytes
 * of what the call moved. This works whatever BIO the application uses
 * (curl has its own, nginx uses SSL_set_fd): only the syscall matters.
 * Kprobes and fentry are not needed.
 *
 * This object is loaded on its own, after the socket programs and sharing
 * their ring buffer and counters, because it reads kernel memory
 * (bpf_probe_read_kernel, refused under lockdown=confidentiality) and needs
 * the tracing program types: where it cannot load, the agent runs without
 * it. It is not linked into meshsight.bpf.o for that reason.
 *
 * Cost: sys_enter runs for every syscall on the host while TLS probing is
 * on; all but the eight I/O syscalls leave after one compare, those do one
 * hash lookup on the thread id (~50 ns), and a thread inside an SSL call
 * does five kernel reads once per call. Each SSL call costs two uprobe
 * traps (~1-2 us each), which is the real price, paid only by processes
 * using the probed libssl.
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "config.h"
#include "maps/events.h"
#include "maps/tls.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/*
 * The agent's own process (its OTLP export may run over HTTPS): its calls
 * are not recorded at all, rather than sent and dropped as excluded.
 */
const volatile __u32 cfg_tls_self_tgid = 0;

#define MS_S_IFMT   0170000
#define MS_S_IFSOCK 0140000

/* The syscalls libssl's socket BIO and applications' own BIOs move bytes with. */
#if defined(__TARGET_ARCH_x86)
#define NR_IS_IO(nr)                                                                               \
	((nr) == 0 || (nr) == 1 || (nr) == 19 || (nr) == 20 || ((nr) >= 44 && (nr) <= 47))
#elif defined(__TARGET_ARCH_arm64)
#define NR_IS_IO(nr)                                                                               \
	(((nr) >= 63 && (nr) <= 66) || (nr) == 206 || (nr) == 207 || (nr) == 211 || (nr) == 212)
#else
#error "tls.bpf.c: add this architecture's read/write/readv/writev/send*/recv* numbers"
#endif

static __always_inline int call_enter(void *ssl, const void *buf, void *len_ptr, __u8 dir,
				      __u8 kind)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct ms_tls_call c;

	if ((id >> 32) == cfg_tls_self_tgid)
		return 0;
	c = (struct ms_tls_call){
	    .ssl = (__u64)ssl,
	    .buf = (__u64)buf,
	    .len_ptr = (__u64)len_ptr,
	    .dir = dir,
	    .kind = kind,
	};
	bpf_map_update_elem(&tls_calls, &id, &c, BPF_ANY);
	return 0;
}

/*
 * Entry probes. The arguments are read from the registers of the C calling
 * convention (PT_REGS_PARM*), which is what libssl's exported functions use.
 */
SEC("uprobe")
int ms_ssl_write(struct pt_regs *ctx)
{
	return call_enter((void *)PT_REGS_PARM1(ctx), (void *)PT_REGS_PARM2(ctx), NULL,
			  MS_DIR_EGRESS, MS_TLS_RW);
}

SEC("uprobe")
int ms_ssl_write_ex(struct pt_regs *ctx)
{
	return call_enter((void *)PT_REGS_PARM1(ctx), (void *)PT_REGS_PARM2(ctx),
			  (void *)PT_REGS_PARM4(ctx), MS_DIR_EGRESS, MS_TLS_RW_EX);
}

SEC("uprobe")
int ms_ssl_read(struct pt_regs *ctx)
{
	return call_enter((void *)PT_REGS_PARM1(ctx), (void *)PT_REGS_PARM2(ctx), NULL,
			  MS_DIR_INGRESS, MS_TLS_RW);
}

SEC("uprobe")
int ms_ssl_read_ex(struct pt_regs *ctx)
{
	return call_enter((void *)PT_REGS_PARM1(ctx), (void *)PT_REGS_PARM2(ctx),
			  (void *)PT_REGS_PARM4(ctx), MS_DIR_INGRESS, MS_TLS_RW_EX);
}

SEC("uprobe")
int ms_ssl_handshake(struct pt_regs *ctx)
{
	return call_enter((void *)PT_REGS_PARM1(ctx), NULL, NULL, MS_DIR_EGRESS, MS_TLS_HANDSHAKE);
}

/* The cookie of the TCP socket at fd in the current task, 0 if fd is no socket. */
static __always_inline __u64 fd_cookie(long fd)
{
	struct task_struct *task = (void *)bpf_get_current_task();
	struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
	struct file **fds;
	struct file *file = NULL;
	struct socket *sock;
	struct sock *sk;
	umode_t mode;

	if (!fdt || fd < 0 || fd >= BPF_CORE_READ(fdt, max_fds))
		return 0;
	fds = BPF_CORE_READ(fdt, fd);
	if (bpf_probe_read_kernel(&file, sizeof(file), &fds[fd]) || !file)
		return 0;
	mode = BPF_CORE_READ(file, f_inode, i_mode);
	if ((mode & MS_S_IFMT) != MS_S_IFSOCK)
		return 0; /* a log file or a pipe written inside the call */
	sock = BPF_CORE_READ(file, private_data);
	sk = BPF_CORE_READ(sock, sk);
	if (!sk || BPF_CORE_READ(sk, sk_protocol) != IPPROTO_TCP)
		return 0;
	/* Set by sockops' bpf_get_socket_cookie; 0 means no tracked connection. */
	return BPF_CORE_READ(sk, __sk_common.skc_cookie.counter);
}

SEC("raw_tp/sys_enter")
int ms_tls_sys_enter(struct bpf_raw_tracepoint_args *ctx)
{
	long nr = (long)ctx->args[1];
	struct ms_tls_call *c;
	__u64 id;

	if (!NR_IS_IO(nr))
		return 0;
	id = bpf_get_current_pid_tgid();
	c = bpf_map_lookup_elem(&tls_calls, &id);
	if (!c || c->cookie)
		return 0;
	c->cookie = fd_cookie(PT_REGS_PARM1_CORE_SYSCALL((struct pt_regs *)ctx->args[0]));
	return 0;
}

/* Sends len bytes' worth of one call, the first cfg_capture_bytes of buf copied. */
static __always_inline void emit(__u64 cookie, const struct ms_tls_call *c, __u64 len)
{
	struct ms_tls_data_event *ev;
	struct ms_data_scratch *s;
	__u32 zero = 0, cap;

	s = bpf_map_lookup_elem(&data_scratch, &zero);
	if (!s)
		return;
	ev = (void *)s->raw;
	cap = len < cfg_capture_bytes ? len : cfg_capture_bytes;
	if (cap > MS_CAPTURE_MAX)
		cap = MS_CAPTURE_MAX;
	ev->hdr.type = MS_EV_TLS_DATA;
	ev->hdr.flags = c->kind == MS_TLS_HANDSHAKE ? MS_TLS_F_HANDSHAKE : 0;
	ev->hdr.cookie = cookie;
	ev->hdr.ts_ns = bpf_ktime_get_ns();
	ev->pid = bpf_get_current_pid_tgid() >> 32;
	ev->len = len > 0xffffffffULL ? 0xffffffffU : (__u32)len;
	ev->dir = c->dir;
	ev->_pad1 = 0;
	ev->_pad2 = 0;
	/* A buffer that cannot be read is sent as a gap: the parser counts it lost. */
	if (cap && bpf_probe_read_user(ev->data, cap, (const void *)c->buf))
		cap = 0;
	ev->cap_len = cap;
	if (bpf_ringbuf_output(&events, ev, sizeof(*ev) + cap, ringbuf_wakeup_flags(ev->hdr.ts_ns)))
		count(MS_CNT_RB_FULL_TLS);
}

/* The byte count a finished call moved: 0 for an error or "want read/write". */
static __always_inline __u64 call_bytes(const struct ms_tls_call *c, long ret)
{
	__u64 n = 0;

	if (c->kind == MS_TLS_RW)
		return ret > 0 ? (__u64)ret : 0;
	if (c->kind != MS_TLS_RW_EX || ret != 1)
		return 0;
	if (bpf_probe_read_user(&n, sizeof(n), (const void *)c->len_ptr))
		return 0;
	return n;
}

/* One return probe serves every entry probe: the call's kind says how to read it. */
SEC("uretprobe")
int ms_ssl_ret(struct pt_regs *ctx)
{
	long ret = PT_REGS_RC(ctx);
	__u64 id = bpf_get_current_pid_tgid(), len, *known;
	struct ms_tls_sock_key key = {.tgid = id >> 32};
	struct ms_tls_call c, *p;
	bool fresh = false;

	p = bpf_map_lookup_elem(&tls_calls, &id);
	if (!p)
		return 0;
	c = *p;
	bpf_map_delete_elem(&tls_calls, &id);
	key.ssl = c.ssl;
	known = bpf_map_lookup_elem(&tls_sockets, &key);
	if (!c.cookie) {
		c.cookie = known ? *known : 0;
	} else if (!known || *known != c.cookie) {
		bpf_map_update_elem(&tls_sockets, &key, &c.cookie, BPF_ANY);
		fresh = true;
	}
	len = call_bytes(&c, (int)ret); /* the C functions return int */
	/* A non-blocking handshake takes several calls: the mark goes once. */
	if (!len && (c.kind != MS_TLS_HANDSHAKE || !fresh))
		return 0;
	if (!c.cookie) {
		count(MS_CNT_TLS_NO_SOCKET);
		return 0;
	}
	emit(c.cookie, &c, len);
	return 0;
}
