// SPDX-License-Identifier: BSD-2-Clause
/*
 * Attaches the do-nothing skb programs (skb_floor.bpf.c) to a cgroup for
 * tools/bench.sh, prints "attached", and holds them until SIGTERM or
 * SIGINT; the links go with the process.
 *
 *   build/tests/skb_floor build/tests/skb_floor.bpf.o /sys/fs/cgroup/unified/X
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <bpf/libbpf.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int attach(struct bpf_object *o, const char *prog, int cg_fd, struct bpf_link **link)
{
	struct bpf_program *p = bpf_object__find_program_by_name(o, prog);

	*link = p ? bpf_program__attach_cgroup(p, cg_fd) : NULL;
	if (!*link) {
		fprintf(stderr, "skb_floor: cannot attach %s: %s\n", prog, strerror(errno));
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct bpf_link *eg = NULL, *in = NULL;
	struct bpf_object *o = NULL;
	int cg_fd = -1, rc = 1;

	if (argc != 3) {
		fprintf(stderr, "usage: skb_floor OBJECT CGROUP_DIR\n");
		return 2;
	}
	libbpf_set_print(NULL);
	o = bpf_object__open_file(argv[1], NULL);
	if (!o || bpf_object__load(o)) {
		fprintf(stderr, "skb_floor: cannot load %s (root and BTF needed): %s\n", argv[1],
			strerror(errno));
		goto out;
	}
	cg_fd = open(argv[2], O_RDONLY | O_DIRECTORY);
	if (cg_fd < 0) {
		fprintf(stderr, "skb_floor: cannot open cgroup %s: %s\n", argv[2], strerror(errno));
		goto out;
	}
	if (attach(o, "ms_skb_floor_eg", cg_fd, &eg) || attach(o, "ms_skb_floor_in", cg_fd, &in))
		goto out;
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	printf("attached\n");
	fflush(stdout);
	while (!stop)
		pause();
	rc = 0;
out:
	bpf_link__destroy(in);
	bpf_link__destroy(eg);
	if (cg_fd >= 0)
		close(cg_fd);
	bpf_object__close(o);
	return rc;
}
