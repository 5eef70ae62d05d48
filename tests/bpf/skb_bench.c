// SPDX-License-Identifier: BSD-2-Clause
/*
 * BPF time per packet of the skb hooks' path (bpf/skb.h), deterministic:
 * BPF_PROG_TEST_RUN with repeat over realistic packets of a keep-alive
 * HTTP/1 connection (a wrk and a curl request head, an nginx response
 * head with a small body, a body segment, a bare ACK), each run starting
 * from the same socket state (tests/bpf/skb_bench.bpf.c). Prints ns per
 * run: the best of -r rounds of -n runs, less the cost of restoring the
 * state, which is measured the same way.
 *
 * Several builds of the program can be compared: give their objects; the
 * rounds of each row alternate between them, so that the noise of a
 * shared VM (which moves by tens of percent within seconds here) falls on
 * all alike. Each object's events per run are checked to match the first's.
 *
 * Warm (the default), the caches hold everything a run touches (one
 * socket, one packet, run back to back). Cold (-c KiB), each run is a
 * test run of its own after writing KiB of memory, which evicts the
 * program's code and data from the per-core caches as the network stack
 * and the applications do between two packets of a live socket; the
 * figure is then the median of -r runs. Live costs on this VM sit between
 * the two, nearer the cold one (see README "Benchmark").
 *
 * What it does not see: a test run's socket is a dummy, not TCP, so
 * bpf_tcp_sock() finds nothing and the counter refresh reads no TCP fields;
 * and kernel.bpf_stats_enabled's two clock reads per run are not in it
 * (they are in tools/bench.sh's figures).
 *
 *   make bpf-bench                                  (root)
 *   build/tests/skb_bench [-n runs] [-r rounds] [-c KiB] [a.bpf.o b.bpf.o ...]
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "meshsight_events.h"
#include "sock.h"

#define PKT_MAX	   3000
#define COOKIE	   42
#define CLIENT_ISN 1000
#define SERVER_ISN 5000
#define OBJS_MAX   8

struct bench_ctl { /* as in skb_bench.bpf.c */
	__u8 dir, mode, save;
};

struct obj {
	const char *path;
	struct bpf_object *o;
	int prog_fd, tmpl_fd, bss_fd;
	struct bench_ctl ctl; /* written to .bss before each test run */
	struct ring_buffer *rb;
	long nevents[8]; /* by enum ms_event_type */
	long reset;
};

static struct obj objs[OBJS_MAX];
static int nobjs, repeat = 5000, rounds = 40;
static size_t cold_bytes;    /* -c: evict this much before each single run; 0: warm */
static unsigned char *evict; /* cold_bytes of it */

static int on_event(void *ctx, void *data, size_t size)
{
	const struct ms_event_hdr *h = data;
	struct obj *b = ctx;

	(void)size;
	b->nevents[h->type & 7]++;
	return 0;
}

/* The offset of a global in a data section, from the object's BTF; -1 if absent. */
static long global_offset(struct bpf_object *o, const char *sec, const char *name)
{
	struct btf *btf = bpf_object__btf(o);
	const struct btf_var_secinfo *vs;
	const struct btf_type *t;
	int id, i;

	id = btf ? btf__find_by_name_kind(btf, sec, BTF_KIND_DATASEC) : -1;
	if (id < 0)
		return -1;
	t = btf__type_by_id(btf, id);
	vs = btf_var_secinfos(t);
	for (i = 0; i < btf_vlen(t); i++, vs++)
		if (!strcmp(btf__name_by_offset(btf, btf__type_by_id(btf, vs->type)->name_off),
			    name))
			return vs->offset;
	return -1;
}

static struct bpf_map *internal_map(struct bpf_object *o, const char *suffix)
{
	struct bpf_map *m;
	size_t n = strlen(suffix);

	bpf_object__for_each_map(m, o)
	{
		const char *name = bpf_map__name(m);

		if (strlen(name) >= n && !strcmp(name + strlen(name) - n, suffix))
			return m;
	}
	return NULL;
}

static int obj_load(struct obj *b)
{
	struct bpf_map *rodata, *bss;
	struct ms_conn conn;
	__u64 cookie = COOKIE;
	size_t sz;
	long off;

	b->o = bpf_object__open_file(b->path, NULL);
	if (!b->o)
		return -errno;
	/* The agent's consumer keeps the ring near empty: no forced wakeups here either. */
	rodata = internal_map(b->o, ".rodata");
	off = global_offset(b->o, ".rodata", "cfg_wakeup_bytes");
	if (rodata && off >= 0)
		*(__u32 *)((char *)bpf_map__initial_value(rodata, &sz) + off) = ~0u;
	if (bpf_object__load(b->o))
		return -errno;
	bss = internal_map(b->o, ".bss");
	/* libbpf maps .bss to the program only for skeletons: written through the fd. */
	b->bss_fd = bss ? bpf_map__fd(bss) : -1;
	b->prog_fd = bpf_program__fd(bpf_object__find_program_by_name(b->o, "skb_bench"));
	b->tmpl_fd = bpf_object__find_map_fd_by_name(b->o, "bench_tmpl");
	b->rb =
	    ring_buffer__new(bpf_object__find_map_fd_by_name(b->o, "events"), on_event, b, NULL);
	memset(&conn, 0, sizeof(conn));
	conn.l7 = MS_L7_HTTP1;
	if (b->bss_fd < 0 || b->prog_fd < 0 || b->tmpl_fd < 0 || !b->rb ||
	    bpf_map_update_elem(bpf_object__find_map_fd_by_name(b->o, "conns"), &cookie, &conn, 0))
		return -EINVAL;
	return 0;
}

/* An IPv4/TCP packet (with the Ethernet header the test run strips) carrying payload. */
static size_t build_packet(unsigned int seq, const char *payload, size_t plen, unsigned char *pkt)
{
	struct ethhdr *eth = (struct ethhdr *)pkt;
	struct iphdr *ip = (struct iphdr *)(eth + 1);
	struct tcphdr *th = (struct tcphdr *)(ip + 1);
	size_t blen = strlen(payload);

	memset(pkt, 0, sizeof(*eth) + sizeof(*ip) + sizeof(*th));
	eth->h_proto = htons(ETH_P_IP);
	ip->version = 4;
	ip->ihl = 5;
	ip->ttl = 64;
	ip->protocol = IPPROTO_TCP;
	ip->tot_len = htons(sizeof(*ip) + sizeof(*th) + plen);
	ip->saddr = htonl(0x0ac80102);
	ip->daddr = htonl(0x0ac80202);
	th->source = htons(40000);
	th->dest = htons(8080);
	th->seq = htonl(seq);
	th->ack_seq = htonl(1);
	th->doff = 5;
	th->ack = 1;
	th->psh = plen > 0;
	memcpy(th + 1, payload, blen);
	memset((unsigned char *)(th + 1) + blen, 'x', plen - blen);
	return sizeof(*eth) + sizeof(*ip) + sizeof(*th) + plen;
}

/* A keep-alive connection in kernel mode at a message boundary both ways. */
static void tmpl_idle(struct obj *b, int server)
{
	struct ms_sock st;
	__u32 zero = 0;

	memset(&st, 0, sizeof(st));
	st.cookie = COOKIE;
	st.mode = MS_SOCK_KERNEL;
	st.role = server ? MS_ROLE_SERVER : MS_ROLE_CLIENT;
	st.pkts = 1; /* not a refresh packet (one in MS_REFRESH_EVERY is) */
	st.dir[server ? MS_DIR_INGRESS : MS_DIR_EGRESS].next = CLIENT_ISN;
	st.dir[server ? MS_DIR_EGRESS : MS_DIR_INGRESS].next = SERVER_ISN;
	if (bpf_map_update_elem(b->tmpl_fd, &zero, &st, 0)) {
		perror("bench_tmpl");
		exit(1);
	}
}

/* One test run of the packet, repeated; the average ns per run. */
static long run(struct obj *b, unsigned char *pkt, size_t len, int mode, int save, int n)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = pkt, .data_size_in = len, .repeat = n);

	__u32 zero = 0;

	b->ctl.mode = mode;
	b->ctl.save = save;
	if (bpf_map_update_elem(b->bss_fd, &zero, &b->ctl, 0) ||
	    bpf_prog_test_run_opts(b->prog_fd, &opts)) {
		fprintf(stderr, "%s: test run failed: %s\n", b->path, strerror(errno));
		exit(1);
	}
	ring_buffer__consume(b->rb);
	return opts.duration;
}

struct row {
	const char *name;
	int server;	     /* the watched socket is the server's */
	int from_server;     /* the packet is the server's */
	const char *before;  /* the client's request, run once to reach the state, or NULL */
	const char *payload; /* padded with 'x' to len */
	size_t len;	     /* 0: strlen(payload); more: a body segment after this head */
	int per_req;	     /* one of the four runs of a wrk request, both ends watched */
};

#define WRK_REQ "GET / HTTP/1.1\r\nHost: 10.200.2.2:8080\r\n\r\n"
#define CURL_REQ                                                                                   \
	"GET /api/v1/items?id=42 HTTP/1.1\r\nHost: reviews.default.svc:9080\r\n"                   \
	"User-Agent: curl/8.5.0\r\nAccept: */*\r\n\r\n"
#define NGINX_HEAD                                                                                 \
	"HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nDate: Wed, 02 Dec 2026 00:44:09 GMT\r\n"       \
	"Content-Type: text/plain\r\nContent-Length: 31\r\n"                                       \
	"Last-Modified: Tue, 01 Dec 2026 21:10:02 GMT\r\nConnection: keep-alive\r\n"               \
	"ETag: \"692e03ba-20\"\r\nAccept-Ranges: bytes\r\n\r\n"
#define NGINX_RESP NGINX_HEAD "hello from the meshsight bench\n"
#define BIG_HEAD   "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 60000\r\n\r\n"

static const struct row rows[] = {
    {.name = "bare ACK (no payload)", .payload = ""},
    {.name = "client egress: wrk request (41 B)", .payload = WRK_REQ, .per_req = 1},
    {.name = "server ingress: wrk request (41 B)", .server = 1, .payload = WRK_REQ, .per_req = 1},
    {.name = "client egress: curl request (105 B)", .payload = CURL_REQ},
    {.name = "server egress: nginx 200 (237 B head + 31 B)",
     .server = 1,
     .from_server = 1,
     .before = WRK_REQ,
     .payload = NGINX_RESP,
     .per_req = 1},
    {.name = "client ingress: nginx 200 (237 B head + 31 B)",
     .from_server = 1,
     .before = WRK_REQ,
     .payload = NGINX_RESP,
     .per_req = 1},
    {.name = "client ingress: 1448 B response body segment",
     .from_server = 1,
     .before = WRK_REQ,
     .payload = BIG_HEAD,
     .len = 1448},
};

/* Puts every object's template in the row's state; returns the packet to time in pkt. */
static size_t row_setup(const struct row *r, unsigned char *pkt)
{
	int egress = r->server == r->from_server, i;
	unsigned int isn = r->from_server ? SERVER_ISN : CLIENT_ISN;
	size_t len;

	for (i = 0; i < nobjs; i++) {
		struct obj *b = &objs[i];

		tmpl_idle(b, r->server);
		if (r->before) {
			/* The request, once, from the client: its state is the template. */
			b->ctl.dir = r->server ? MS_DIR_INGRESS : MS_DIR_EGRESS;
			len = build_packet(CLIENT_ISN, r->before, strlen(r->before), pkt);
			run(b, pkt, len, 0, 1, 1);
		}
		b->ctl.dir = egress ? MS_DIR_EGRESS : MS_DIR_INGRESS;
		if (r->len > strlen(r->payload)) {
			/* A body segment: the head first, saved, then the next segment. */
			len = build_packet(isn, r->payload, r->len, pkt);
			run(b, pkt, len, 0, 1, 1);
		}
		memset(b->nevents, 0, sizeof(b->nevents));
	}
	if (r->len > strlen(r->payload))
		return build_packet(isn + r->len, "", r->len, pkt);
	return build_packet(isn, r->payload, strlen(r->payload), pkt);
}

static int cmp_long(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;

	return (x > y) - (x < y);
}

/* One run after overwriting the eviction buffer (a new value each time, so no line stays clean). */
static long cold_run(struct obj *b, unsigned char *pkt, size_t len, int mode)
{
	static unsigned char fill;

	memset(evict, ++fill, cold_bytes);
	return run(b, pkt, len, mode, 0, 1);
}

/*
 * Cold: one sample is a run less a run that only restores the state (mode
 * 1), each after its own eviction: the restore is cold too, and varies too
 * much for one figure taken up front. Rounds alternate between objects,
 * so that the machine's drift falls on all alike; each object's figure is
 * the median of its samples.
 */
static void cold_medians(unsigned char *pkt, size_t len, int mode, long *out)
{
	long *samples = calloc((size_t)rounds * nobjs, sizeof(*samples));
	int k, i;

	if (!samples) {
		fprintf(stderr, "skb_bench: out of memory\n");
		exit(1);
	}
	for (k = 0; k < rounds; k++)
		for (i = 0; i < nobjs; i++) {
			samples[i * rounds + k] = cold_run(&objs[i], pkt, len, mode);
			if (mode != 1)
				samples[i * rounds + k] -= cold_run(&objs[i], pkt, len, 1);
		}
	for (i = 0; i < nobjs; i++) {
		qsort(samples + i * rounds, rounds, sizeof(*samples), cmp_long);
		out[i] = samples[i * rounds + rounds / 2];
	}
	free(samples);
}

/*
 * Warm: the best ns per run of each object, rounds alternating between
 * objects. Cold: each object's median of single runs.
 */
static void best(unsigned char *pkt, size_t len, int mode, long *out)
{
	long d;
	int k, i;

	if (cold_bytes) {
		cold_medians(pkt, len, mode, out);
		return;
	}
	for (i = 0; i < nobjs; i++)
		out[i] = -1;
	for (k = 0; k < rounds; k++)
		for (i = 0; i < nobjs; i++) {
			d = run(&objs[i], pkt, len, mode, 0, repeat);
			if (out[i] < 0 || d < out[i])
				out[i] = d;
		}
}

int main(int argc, char **argv)
{
	static unsigned char pkt[PKT_MAX + 128];
	long d[OBJS_MAX], total[OBJS_MAX] = {0};
	long runs_per_row;
	size_t r, len;
	int i, opt;

	while ((opt = getopt(argc, argv, "n:r:c:")) != -1) {
		if (opt == 'n')
			repeat = atoi(optarg);
		else if (opt == 'r')
			rounds = atoi(optarg);
		else if (opt == 'c')
			cold_bytes = (size_t)atol(optarg) * 1024;
		else
			return 2;
	}
	if (rounds < 1 || repeat < 1) {
		fprintf(stderr, "skb_bench: -n and -r take a count of at least 1\n");
		return 2;
	}
	if (cold_bytes && !(evict = malloc(cold_bytes))) {
		fprintf(stderr, "skb_bench: cannot allocate %zu bytes to evict caches with\n",
			cold_bytes);
		return 1;
	}
	for (; optind < argc && nobjs < OBJS_MAX; optind++)
		objs[nobjs++].path = argv[optind];
	if (!nobjs)
		objs[nobjs++].path = "build/tests/skb_bench.bpf.o";
	libbpf_set_print(NULL);
	for (i = 0; i < nobjs; i++)
		if (obj_load(&objs[i])) {
			fprintf(stderr, "cannot load %s (root and BTF needed)\n", objs[i].path);
			return 1;
		}

	runs_per_row = cold_bytes ? rounds : (long)rounds * repeat;
	tmpl_idle(&objs[0], 0);
	for (i = 1; i < nobjs; i++)
		tmpl_idle(&objs[i], 0);
	len = build_packet(CLIENT_ISN, WRK_REQ, strlen(WRK_REQ), pkt);
	if (!cold_bytes) { /* cold runs take the restore off one by one */
		best(pkt, len, 1, d);
		for (i = 0; i < nobjs; i++)
			objs[i].reset = d[i];
	}
	if (cold_bytes)
		printf("skb path, ns per run, cold: median of %d single runs, each after writing "
		       "%zu KiB, less restoring the state\n",
		       rounds, cold_bytes / 1024);
	else
		printf("skb path, ns per run, warm: best of %d rounds of %d runs, less restoring "
		       "the state\n",
		       rounds, repeat);
	for (i = 0; i < nobjs; i++)
		if (cold_bytes)
			printf("  [%d] %s\n", i, objs[i].path);
		else
			printf("  [%d] %s (restoring: %ld ns)\n", i, objs[i].path, objs[i].reset);
	printf("  %-48s", "");
	for (i = 0; i < nobjs; i++)
		printf(" %6s%d]", "[", i);
	printf("\n");
	for (r = 0; r < sizeof(rows) / sizeof(rows[0]); r++) {
		len = row_setup(&rows[r], pkt);
		best(pkt, len, 0, d);
		printf("  %-48s", rows[r].name);
		for (i = 0; i < nobjs; i++) {
			if (!cold_bytes)
				d[i] -= objs[i].reset; /* cold_median() took it off run by run */
			printf(" %8ld", d[i]);
			if (rows[r].per_req)
				total[i] += d[i];
		}
		printf("   pair/mode/data events per run %.2f/%.2f/%.2f\n",
		       objs[0].nevents[MS_EV_HTTP_PAIR] / (double)runs_per_row,
		       objs[0].nevents[MS_EV_MODE] / (double)runs_per_row,
		       objs[0].nevents[MS_EV_DATA] / (double)runs_per_row);
		for (i = 1; i < nobjs; i++)
			if (memcmp(objs[i].nevents, objs[0].nevents, sizeof(objs[0].nevents)))
				printf("    [%d] sent other events than [0]\n", i);
	}
	printf("  %-48s", "per request, both ends (the 4 wrk rows)");
	for (i = 0; i < nobjs; i++)
		printf(" %8ld", total[i]);
	printf("\n");
	for (i = 0; i < nobjs; i++) {
		ring_buffer__free(objs[i].rb);
		bpf_object__close(objs[i].o);
	}
	return 0;
}
