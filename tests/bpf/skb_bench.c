// SPDX-License-Identifier: BSD-2-Clause
/*
 * BPF time per packet of the skb hooks' path (bpf/skb.h), deterministic:
 * BPF_PROG_TEST_RUN with repeat over realistic packets of a keep-alive
 * HTTP/1 connection (a wrk and a curl request head, an nginx response
 * head with a small body, a body segment, a bare ACK), each run starting
 * from the same socket state (tests/bpf/skb_bench.bpf.c). Prints ns per
 * run: the best of BENCH_ROUNDS rounds of BENCH_REPEAT runs, less the
 * cost of restoring the state, which is measured the same way.
 *
 * What it does not see: a test run's socket is a dummy, not TCP, so
 * bpf_tcp_sock() finds nothing and the counter refresh reads no TCP fields;
 * and kernel.bpf_stats_enabled's two clock reads per run are not in it
 * (they are in the live figures of tools/bench.sh).
 *
 *   make bpf-bench          (root)
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "meshsight_events.h"
#include "skb_bench.skel.h"
#include "sock.h"

#define PKT_MAX	   3000
#define COOKIE	   42
#define CLIENT_ISN 1000
#define SERVER_ISN 5000

static struct skb_bench_bpf *skel;
static struct ring_buffer *rb;
static int repeat = 5000, rounds = 40;

static long nevents[8]; /* by enum ms_event_type */

static int on_event(void *ctx, void *data, size_t size)
{
	const struct ms_event_hdr *h = data;

	(void)ctx, (void)size;
	nevents[h->type & 7]++;
	return 0;
}

/* The counters (enum ms_counter), summed over CPUs, into c. */
static void counters_read(__u64 c[MS_CNT__MAX])
{
	int ncpu = libbpf_num_possible_cpus(), k, i;
	__u64 v[256];

	for (k = 0; k < MS_CNT__MAX; k++) {
		__u32 key = k;

		c[k] = 0;
		if (ncpu > 256 || bpf_map_lookup_elem(bpf_map__fd(skel->maps.counters), &key, v))
			continue;
		for (i = 0; i < ncpu; i++)
			c[k] += v[i];
	}
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
static void tmpl_idle(int server)
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
	if (bpf_map_update_elem(bpf_map__fd(skel->maps.bench_tmpl), &zero, &st, 0)) {
		perror("bench_tmpl");
		exit(1);
	}
}

/* One test run of the packet, repeated; the average ns per run. */
static long run(unsigned char *pkt, size_t len, int mode, int save, int n)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = pkt, .data_size_in = len, .repeat = n);

	skel->bss->bench_mode = mode;
	skel->bss->bench_save = save;
	if (bpf_prog_test_run_opts(bpf_program__fd(skel->progs.skb_bench), &opts)) {
		fprintf(stderr, "test run failed: %s\n", strerror(errno));
		exit(1);
	}
	ring_buffer__consume(rb);
	return opts.duration;
}

static long best(unsigned char *pkt, size_t len, int mode)
{
	long b = -1, d;
	int i;

	for (i = 0; i < rounds; i++) {
		d = run(pkt, len, mode, 0, repeat);
		if (b < 0 || d < b)
			b = d;
	}
	return b;
}

struct row {
	const char *name;
	int server;	     /* the watched socket is the server's */
	int from_server;     /* the packet is the server's */
	const char *before;  /* the client's request, run once to reach the state, or NULL */
	const char *payload; /* padded with 'x' to len */
	size_t len;	     /* 0: strlen(payload) */
	unsigned int at;     /* offset in the sender's stream */
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
    {.name = "client egress: wrk request (41 B)", .payload = WRK_REQ},
    {.name = "server ingress: wrk request (41 B)", .server = 1, .payload = WRK_REQ},
    {.name = "client egress: curl request (105 B)", .payload = CURL_REQ},
    {.name = "server egress: nginx 200 (237 B head + 31 B)",
     .server = 1,
     .from_server = 1,
     .before = WRK_REQ,
     .payload = NGINX_RESP},
    {.name = "client ingress: nginx 200 (237 B head + 31 B)",
     .from_server = 1,
     .before = WRK_REQ,
     .payload = NGINX_RESP},
    {.name = "client ingress: 1448 B response body segment",
     .from_server = 1,
     .before = WRK_REQ,
     .payload = BIG_HEAD,
     .len = 1448},
};

int main(int argc, char **argv)
{
	static unsigned char pkt[PKT_MAX + 128];
	struct ms_conn conn;
	long reset, d, per_req = 0;
	__u64 cookie = COOKIE;
	__u64 c0[MS_CNT__MAX], c1[MS_CNT__MAX];
	size_t i, k, len;

	if (argc > 1)
		repeat = atoi(argv[1]);
	if (argc > 2)
		rounds = atoi(argv[2]);
	skel = skb_bench_bpf__open();
	/* The agent's consumer keeps the ring near empty: no forced wakeups here either. */
	if (skel)
		skel->rodata->cfg_wakeup_bytes = ~0u;
	if (!skel || skb_bench_bpf__load(skel)) {
		fprintf(stderr, "cannot load skb_bench.bpf.o (root and BTF needed)\n");
		return 1;
	}
	rb = ring_buffer__new(bpf_map__fd(skel->maps.events), on_event, NULL, NULL);
	memset(&conn, 0, sizeof(conn));
	conn.l7 = MS_L7_HTTP1;
	if (!rb || bpf_map_update_elem(bpf_map__fd(skel->maps.conns), &cookie, &conn, 0)) {
		fprintf(stderr, "cannot set up the ring buffer or the connection entry\n");
		return 1;
	}
	len = build_packet(CLIENT_ISN, WRK_REQ, strlen(WRK_REQ), pkt);
	tmpl_idle(0);
	reset = best(pkt, len, 1);
	printf("skb path, ns per run (best of %d x %d runs, less %ld ns restoring the state):\n",
	       rounds, repeat, reset);
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *r = &rows[i];
		int egress = r->server == r->from_server;
		unsigned int isn = r->from_server ? SERVER_ISN : CLIENT_ISN;

		tmpl_idle(r->server);
		if (r->before) {
			/* The request, once, from the client: its state is the template. */
			skel->bss->bench_dir = r->server ? MS_DIR_INGRESS : MS_DIR_EGRESS;
			len = build_packet(CLIENT_ISN, r->before, strlen(r->before), pkt);
			run(pkt, len, 0, 1, 1);
		}
		if (r->len > strlen(r->payload) && r->before) {
			/* A body segment: the head first, saved, then the next segment. */
			skel->bss->bench_dir = egress ? MS_DIR_EGRESS : MS_DIR_INGRESS;
			len = build_packet(isn, r->payload, r->len, pkt);
			run(pkt, len, 0, 1, 1);
			len = build_packet(isn + r->len, "", r->len, pkt);
		} else {
			len = build_packet(isn + r->at, r->payload,
					   r->len ? r->len : strlen(r->payload), pkt);
		}
		skel->bss->bench_dir = egress ? MS_DIR_EGRESS : MS_DIR_INGRESS;
		memset(nevents, 0, sizeof(nevents));
		counters_read(c0);
		d = best(pkt, len, 0) - reset;
		counters_read(c1);
		printf("  %-48s %5ld   events per run: %.2f pair, %.2f mode, %.2f data\n", r->name, d,
		       nevents[MS_EV_HTTP_PAIR] / (double)(rounds * repeat),
		       nevents[MS_EV_MODE] / (double)(rounds * repeat),
		       nevents[MS_EV_DATA] / (double)(rounds * repeat));
		for (k = 0; k < MS_CNT__MAX; k++)
			if (c1[k] != c0[k])
				printf("      counter %zu: %.2f per run\n", k,
				       (c1[k] - c0[k]) / (double)(rounds * repeat));
		if (i == 1 || i == 2 || i == 4 || i == 5)
			per_req += d;
	}
	printf("  %-48s %5ld\n", "per request, both ends (wrk rows)", per_req);
	ring_buffer__free(rb);
	skb_bench_bpf__destroy(skel);
	return 0;
}
