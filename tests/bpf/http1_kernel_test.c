// SPDX-License-Identifier: BSD-2-Clause
/*
 * Tier 2: the kernel's HTTP/1 machine (bpf/http1_kernel.h) over a fixture
 * table. Each row is one connection, seen from one end: the segments each
 * side sends, in order, with what the machine must answer for each (keep it
 * in the kernel, or hand it to the capture path), then the pair events and
 * mode switches userspace must receive. The program under test is the
 * shipped code run by BPF_PROG_TEST_RUN (tests/bpf/http1_kernel.bpf.c).
 * Needs root and BTF; run.sh turns "cannot load" into a loud skip.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <stdio.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "http1_kernel.skel.h"
#include "meshsight_events.h"
#include "sock.h"

#define PAYLOAD_MAX 3000
#define STEPS_MAX   8
#define WANT_MAX    4

enum { DONE = 0, CAPTURE = 1 }; /* enum seg_verdict */

struct step {
	int server;	   /* 1: the server sent it, 0: the client */
	unsigned int at;   /* offset of its first byte in that side's stream */
	const char *bytes; /* payload; padded with 'x' up to len */
	size_t len;	   /* 0: strlen(bytes) */
	int want;	   /* DONE or CAPTURE */
};

struct want_pair {
	unsigned int status;
	const char *method, *target, *traceparent;
	unsigned long long req_bytes, resp_bytes;
};

struct want_mode {
	int server; /* the side whose bytes switch */
	int reason; /* enum ms_fallback */
	int with_req;
	unsigned int at; /* offset in that side's stream where capture starts */
};

struct fixture {
	const char *name;
	int ipv6;
	int watch_server;	 /* the watched socket is the server's (else the client's) */
	unsigned int client_isn; /* first sequence number of each side (default 1000, 5000) */
	unsigned int server_isn;
	struct step steps[STEPS_MAX];
	struct want_pair pairs[WANT_MAX];
	struct want_mode modes[WANT_MAX];
	int captured_from_start; /* the connection never entered kernel mode */
};

static struct http1_kernel_bpf *skel;
static struct ring_buffer *rb;

struct got {
	int npairs, nmodes;
	struct ms_http_pair_event pairs[WANT_MAX];
	struct ms_mode_event modes[WANT_MAX];
};
static struct got *cur; /* where on_event writes; NULL: drop */

static int on_event(void *ctx, void *data, size_t size)
{
	struct got *g = cur;
	const struct ms_event_hdr *h = data;

	(void)ctx;
	if (!g)
		return 0;
	if (h->type == MS_EV_HTTP_PAIR && g->npairs < WANT_MAX)
		memcpy(&g->pairs[g->npairs++], data,
		       size < sizeof(g->pairs[0]) ? size : sizeof(g->pairs[0]));
	else if (h->type == MS_EV_MODE && g->nmodes < WANT_MAX)
		memcpy(&g->modes[g->nmodes++], data,
		       size < sizeof(g->modes[0]) ? size : sizeof(g->modes[0]));
	return 0;
}

static size_t build_packet(int ipv6, unsigned int seq, const unsigned char *payload, size_t plen,
			   unsigned char *pkt)
{
	struct ethhdr *eth = (struct ethhdr *)pkt;
	unsigned char *l3 = pkt + sizeof(*eth);
	size_t l3len = ipv6 ? sizeof(struct ipv6hdr) : sizeof(struct iphdr);
	struct tcphdr *th = (struct tcphdr *)(l3 + l3len);

	memset(pkt, 0, sizeof(*eth) + l3len + sizeof(*th));
	eth->h_proto = htons(ipv6 ? ETH_P_IPV6 : ETH_P_IP);
	if (ipv6) {
		struct ipv6hdr *ip6 = (struct ipv6hdr *)l3;

		ip6->version = 6;
		ip6->nexthdr = IPPROTO_TCP;
		ip6->hop_limit = 64;
		ip6->payload_len = htons(sizeof(*th) + plen);
		inet_pton(AF_INET6, "fd00::1", &ip6->saddr);
		inet_pton(AF_INET6, "fd00::2", &ip6->daddr);
	} else {
		struct iphdr *ip = (struct iphdr *)l3;

		ip->version = 4;
		ip->ihl = 5;
		ip->ttl = 64;
		ip->protocol = IPPROTO_TCP;
		ip->tot_len = htons(sizeof(*ip) + sizeof(*th) + plen);
		ip->saddr = htonl(0x0ac80102);
		ip->daddr = htonl(0x0ac80202);
	}
	th->source = htons(40000);
	th->dest = htons(8080);
	th->seq = htonl(seq);
	th->doff = 5;
	th->ack = 1;
	th->psh = 1;
	memcpy((unsigned char *)(th + 1), payload, plen);
	return sizeof(*eth) + l3len + sizeof(*th) + plen;
}

static unsigned int isn_of(const struct fixture *f, int server)
{
	if (server)
		return f->server_isn ? f->server_isn : 5000;
	return f->client_isn ? f->client_isn : 1000;
}

/* The direction, at the watched socket, of what one side sends. */
static unsigned char dir_of(const struct fixture *f, int server)
{
	return server == f->watch_server ? MS_DIR_EGRESS : MS_DIR_INGRESS;
}

static void sock_init(const struct fixture *f)
{
	struct ms_sock st;
	__u32 zero = 0;

	memset(&st, 0, sizeof(st));
	st.cookie = 42;
	st.role = f->watch_server ? MS_ROLE_SERVER : MS_ROLE_CLIENT;
	st.mode = MS_SOCK_NEW;
	st.dir[dir_of(f, 0)].next = isn_of(f, 0);
	st.dir[dir_of(f, 1)].next = isn_of(f, 1);
	assert_int_equal(bpf_map_update_elem(bpf_map__fd(skel->maps.test_sock), &zero, &st, 0), 0);
}

static unsigned char sock_mode(void)
{
	struct ms_sock st;
	__u32 zero = 0;

	assert_int_equal(bpf_map_lookup_elem(bpf_map__fd(skel->maps.test_sock), &zero, &st), 0);
	return st.mode;
}

static void run_step(const struct fixture *f, const struct step *s, int i)
{
	static unsigned char payload[PAYLOAD_MAX], pkt[PAYLOAD_MAX + 128];
	size_t blen = strlen(s->bytes), plen = s->len ? s->len : blen;
	unsigned int seq = isn_of(f, s->server) + s->at;
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = pkt);

	assert_true(plen >= blen && plen <= PAYLOAD_MAX);
	memcpy(payload, s->bytes, blen);
	memset(payload + blen, 'x', plen - blen);
	opts.data_size_in = build_packet(f->ipv6, seq, payload, plen, pkt);
	skel->bss->test_dir = dir_of(f, s->server);
	assert_int_equal(bpf_prog_test_run_opts(bpf_program__fd(skel->progs.http1_machine), &opts),
			 0);
	if (skel->bss->test_verdict != s->want)
		fail_msg("%s: step %d (%s, %zu bytes at +%u): verdict %d, want %d", f->name, i,
			 s->server ? "server" : "client", plen, s->at, skel->bss->test_verdict,
			 s->want);
}

static void check_pair(const struct fixture *f, int i, const struct ms_http_pair_event *ev,
		       const struct want_pair *w)
{
	char target[MS_TARGET_MAX + 1] = {0}, method[17] = {0};

	memcpy(target, ev->req.var, ev->req.target_len);
	memcpy(method, ev->req.method, ev->req.method_len);
	if (ev->status != w->status || strcmp(method, w->method) || strcmp(target, w->target))
		fail_msg("%s: pair %d is %s %s -> %u, want %s %s -> %u", f->name, i, method, target,
			 ev->status, w->method, w->target, w->status);
	if (ev->req.bytes != w->req_bytes || ev->resp_bytes != w->resp_bytes)
		fail_msg("%s: pair %d sizes %llu/%llu, want %llu/%llu", f->name, i,
			 (unsigned long long)ev->req.bytes, (unsigned long long)ev->resp_bytes,
			 w->req_bytes, w->resp_bytes);
	if (w->traceparent) {
		assert_int_equal(ev->req.tp_len, MS_TP_LEN);
		assert_memory_equal(ev->req.var + MS_TARGET_MAX, w->traceparent, MS_TP_LEN);
	} else {
		assert_int_equal(ev->req.tp_len, 0);
	}
	assert_true(ev->req.start_ns > 0 && ev->resp_start_ns >= ev->req.start_ns &&
		    ev->resp_end_ns >= ev->resp_start_ns);
}

static void check_mode(const struct fixture *f, int i, const struct ms_mode_event *ev,
		       const struct want_mode *w)
{
	unsigned int want_seq = isn_of(f, w->server) + w->at;

	if (ev->dir != dir_of(f, w->server) || ev->reason != w->reason || ev->seq != want_seq ||
	    !!(ev->hdr.flags & MS_MODE_F_REQ) != !!w->with_req)
		fail_msg("%s: mode %d is dir %u reason %u seq %u req %u, want dir %u reason %d "
			 "seq %u req %d",
			 f->name, i, ev->dir, ev->reason, ev->seq, ev->hdr.flags & MS_MODE_F_REQ,
			 dir_of(f, w->server), w->reason, want_seq, w->with_req);
}

static void run_fixture(const struct fixture *f)
{
	struct got got = {0};
	int i, nw;

	sock_init(f);
	cur = NULL;
	ring_buffer__consume(rb); /* nothing left from the previous row */
	for (i = 0; i < STEPS_MAX && f->steps[i].bytes; i++)
		run_step(f, &f->steps[i], i);
	cur = &got;
	ring_buffer__consume(rb);
	cur = NULL;
	for (nw = 0; nw < WANT_MAX && f->pairs[nw].method; nw++)
		;
	if (got.npairs != nw)
		fail_msg("%s: %d pair events, want %d", f->name, got.npairs, nw);
	for (i = 0; i < nw; i++)
		check_pair(f, i, &got.pairs[i], &f->pairs[i]);
	for (nw = 0; nw < WANT_MAX && (f->modes[nw].at || f->modes[nw].reason ||
				       f->modes[nw].server || f->modes[nw].with_req);
	     nw++)
		;
	if (got.nmodes != nw)
		fail_msg("%s: %d mode events, want %d", f->name, got.nmodes, nw);
	for (i = 0; i < nw; i++)
		check_mode(f, i, &got.modes[i], &f->modes[i]);
	assert_int_equal(sock_mode() == MS_SOCK_CAPTURE && !got.nmodes, !!f->captured_from_start);
}

#define GET_A	 "GET /a?q=1 HTTP/1.1\r\nHost: x\r\n\r\n" /* 32 bytes */
#define GET_B	 "GET /b HTTP/1.1\r\nHost: x\r\n\r\n"	  /* 28 bytes */
#define OK_HELLO "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"
/* Short headers whose first byte the head scan must look at ('b' shares a test with 'c'). */
#define B8  "b:1\r\nb:1\r\nb:1\r\nb:1\r\nb:1\r\nb:1\r\nb:1\r\nb:1\r\n"
#define B63 B8 B8 B8 B8 B8 B8 B8 "b:1\r\nb:1\r\nb:1\r\nb:1\r\nb:1\r\nb:1\r\nb:1\r\n"
#define B65 B8 B8 B8 B8 B8 B8 B8 B8 "b:1\r\n"
#define TP  "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"

static const struct fixture fixtures[] = {
    {.name = "a GET and its 200, one segment each, make one pair",
     .steps = {{.bytes = GET_A}, {.server = 1, .bytes = OK_HELLO}},
     .pairs = {{200, "GET", "/a?q=1", NULL, 32, 43}}},
    {.name = "the server's socket sees the same pair",
     .watch_server = 1,
     .steps = {{.bytes = GET_A}, {.server = 1, .bytes = OK_HELLO}},
     .pairs = {{200, "GET", "/a?q=1", NULL, 32, 43}}},
    {.name = "IPv6: the same pair",
     .ipv6 = 1,
     .steps = {{.bytes = GET_A}, {.server = 1, .bytes = OK_HELLO}},
     .pairs = {{200, "GET", "/a?q=1", NULL, 32, 43}}},
    {.name = "sequence numbers that wrap around 2^32 change nothing",
     .client_isn = 0xfffffff0u,
     .server_isn = 0xffffffe0u,
     .steps = {{.bytes = GET_A},
	       {.server = 1, .bytes = OK_HELLO},
	       {.at = 32, .bytes = GET_B},
	       {.server = 1, .at = 43, .bytes = OK_HELLO}},
     .pairs = {{200, "GET", "/a?q=1", NULL, 32, 43}, {200, "GET", "/b", NULL, 28, 43}}},
    {.name = "a GSO-sized response over three segments ends at its last byte",
     .steps = {{.bytes = GET_B},
	       {.server = 1,
		.bytes = "HTTP/1.1 200 OK\r\nContent-Length: 6000\r\n\r\n",
		.len = 2000},
	       {.server = 1, .at = 2000, .bytes = "", .len = 2000},
	       {.server = 1, .at = 4000, .bytes = "", .len = 2041}},
     .pairs = {{200, "GET", "/b", NULL, 28, 6041}}},
    {.name = "a retransmitted request is not parsed twice",
     .steps = {{.bytes = GET_A}, {.bytes = GET_A}, {.server = 1, .bytes = OK_HELLO}},
     .pairs = {{200, "GET", "/a?q=1", NULL, 32, 43}}},
    {.name = "a retransmitted response body is not counted twice",
     .steps = {{.bytes = GET_B},
	       {.server = 1, .bytes = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n", .len = 80},
	       {.server = 1, .bytes = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n", .len = 80},
	       {.server = 1, .at = 80, .bytes = "", .len = 60}},
     .pairs = {{200, "GET", "/b", NULL, 28, 140}}},
    {.name = "a request line split across segments leaves a new connection to capture",
     .steps = {{.bytes = "GET /sp", .want = CAPTURE},
	       {.at = 7, .bytes = "lit HTTP/1.1\r\n\r\n", .want = CAPTURE}},
     .captured_from_start = 1},
    {.name = "a later request whose head is split moves both sides at their boundaries",
     .steps = {{.bytes = GET_A},
	       {.server = 1, .bytes = OK_HELLO},
	       {.at = 32, .bytes = "GET /sp", .want = CAPTURE}},
     .pairs = {{200, "GET", "/a?q=1", NULL, 32, 43}},
     .modes = {{.reason = MS_FB_HEAD, .at = 32}, {.server = 1, .reason = MS_FB_PEER, .at = 43}}},
    {.name = "two pipelined requests in one skb: the first stays, the second is captured",
     .steps = {{.bytes = GET_A GET_B, .want = CAPTURE}, {.server = 1, .bytes = OK_HELLO}},
     .pairs = {{200, "GET", "/a?q=1", NULL, 32, 43}},
     .modes = {{.reason = MS_FB_PIPELINED, .at = 32},
	       {.server = 1, .reason = MS_FB_PEER, .at = 43}}},
    {.name = "a second request before the response is captured from its start",
     .steps = {{.bytes = GET_A},
	       {.at = 32, .bytes = GET_B, .want = CAPTURE},
	       {.server = 1, .bytes = OK_HELLO},
	       {.server = 1, .at = 43, .bytes = OK_HELLO, .want = CAPTURE}},
     .pairs = {{200, "GET", "/a?q=1", NULL, 32, 43}},
     .modes = {{.reason = MS_FB_PIPELINED, .at = 32},
	       {.server = 1, .reason = MS_FB_PEER, .at = 43}}},
    {.name = "two responses in one skb: the second goes to capture at the boundary",
     .steps = {{.bytes = GET_A}, {.server = 1, .bytes = OK_HELLO OK_HELLO, .want = CAPTURE}},
     .pairs = {{200, "GET", "/a?q=1", NULL, 32, 43}},
     .modes = {{.server = 1, .reason = MS_FB_PIPELINED, .at = 43},
	       {.reason = MS_FB_PEER, .at = 32}}},
    {.name = "100 Continue then 200: the final response's status and size",
     .steps = {{.bytes = "POST /up HTTP/1.1\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n"},
	       {.server = 1, .bytes = "HTTP/1.1 100 Continue\r\n\r\n"},
	       {.at = 62, .bytes = "data"},
	       {.server = 1,
		.at = 25,
		.bytes = "HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok"}},
     .pairs = {{201, "POST", "/up", NULL, 66, 45}}},
    {.name = "HEAD's response has no body whatever its Content-Length; 304 and 204 neither",
     .steps = {{.bytes = "HEAD /h HTTP/1.1\r\n\r\n"},
	       {.server = 1, .bytes = "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n"},
	       {.at = 20, .bytes = "GET /n HTTP/1.1\r\n\r\n"},
	       {.server = 1,
		.at = 41,
		.bytes = "HTTP/1.1 304 Not Modified\r\nContent-Length: 9\r\n\r\n"},
	       {.at = 39, .bytes = "GET /e HTTP/1.1\r\n\r\n"},
	       {.server = 1, .at = 89, .bytes = "HTTP/1.1 204 No Content\r\n\r\n"}},
     .pairs = {{200, "HEAD", "/h", NULL, 20, 41},
	       {304, "GET", "/n", NULL, 19, 48},
	       {204, "GET", "/e", NULL, 19, 27}}},
    {.name = "a POST body that begins with a method name is body, not a request",
     .steps = {{.bytes = "POST /p HTTP/1.1\r\nContent-Length: 31\r\n\r\n"},
	       {.at = 40, .bytes = "GET /evil HTTP/1.1\r\nHost: x\r\n\r\n"},
	       {.server = 1, .bytes = OK_HELLO}},
     .pairs = {{200, "POST", "/p", NULL, 71, 43}}},
    {.name = "a traceparent is carried with the request",
     .steps = {{.bytes = "GET /t HTTP/1.1\r\ntraceparent: " TP "\r\nHost: x\r\n\r\n"},
	       {.server = 1, .bytes = OK_HELLO}},
     .pairs = {{200, "GET", "/t", TP, 98, 43}}},
    {.name = "a chunked response hands its request over; the client side follows",
     .steps = {{.bytes = GET_A},
	       {.server = 1,
		.bytes = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n",
		.want = CAPTURE},
	       {.at = 32, .bytes = GET_B, .want = CAPTURE}},
     .modes = {{.server = 1, .reason = MS_FB_FRAMING, .with_req = 1},
	       {.reason = MS_FB_PEER, .at = 32}}},
    {.name = "a response with no length (read until close) hands its request over",
     .steps = {{.bytes = GET_A},
	       {.server = 1, .bytes = "HTTP/1.0 200 OK\r\n\r\nuntil close", .want = CAPTURE}},
     .modes = {{.server = 1, .reason = MS_FB_FRAMING, .with_req = 1},
	       {.reason = MS_FB_PEER, .at = 32}}},
    {.name = "101 Switching Protocols hands its request over",
     .steps = {{.bytes = GET_B},
	       {.server = 1, .bytes = "HTTP/1.1 101 Switching Protocols\r\n\r\n", .want = CAPTURE}},
     .modes = {{.server = 1, .reason = MS_FB_FRAMING, .with_req = 1},
	       {.reason = MS_FB_PEER, .at = 28}}},
    {.name = "a request asking to upgrade (h2c) is left to userspace from its first byte",
     .steps = {{.bytes = "GET /ws HTTP/1.1\r\nUpgrade: h2c\r\n\r\n", .want = CAPTURE}},
     .captured_from_start = 1},
    {.name = "a message start out of order switches at the hole",
     .steps = {{.bytes = GET_A},
	       {.server = 1, .bytes = OK_HELLO},
	       {.at = 42, .bytes = GET_B, .want = CAPTURE}},
     .pairs = {{200, "GET", "/a?q=1", NULL, 32, 43}},
     .modes = {{.reason = MS_FB_GAP, .at = 32}, {.server = 1, .reason = MS_FB_PEER, .at = 43}}},
    {.name = "a request-target over 128 bytes is left to userspace",
     .steps =
	 {{.bytes = GET_B},
	  {.server = 1, .bytes = OK_HELLO},
	  {.at = 28,
	   .bytes =
	       "GET /0123456789012345678901234567890123456789012345678901234567890123456789"
	       "0123456789012345678901234567890123456789012345678901234567890 HTTP/1.1\r\n\r\n",
	   .want = CAPTURE}},
     .pairs = {{200, "GET", "/b", NULL, 28, 43}},
     .modes = {{.reason = MS_FB_TARGET, .at = 28}, {.server = 1, .reason = MS_FB_PEER, .at = 43}}},
    {.name = "header names in any case, lines at every alignment: an nginx response",
     .steps = {{.bytes = GET_B},
	       {.server = 1,
		.bytes = "HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\n"
			 "Date: Wed, 02 Dec 2026 00:44:09 GMT\r\nContent-Type: text/plain\r\n"
			 "CONTENT-length:  31\r\nLast-Modified: Tue, 01 Dec 2026 21:10:02 GMT\r\n"
			 "Connection: keep-alive\r\nb: 1\r\ntraceparentx: 2\r\nU: 3\r\n"
			 "ETag: \"692e03ba-20\"\r\n\r\nhello from the meshsight bench\n"}},
     .pairs = {{200, "GET", "/b", NULL, 28, 276}}},
    {.name = "a folded header line in a response hands its request over",
     .steps = {{.bytes = GET_A},
	       {.server = 1,
		.bytes = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n X: y\r\n\r\nhello",
		.want = CAPTURE}},
     .modes = {{.server = 1, .reason = MS_FB_HEAD, .with_req = 1},
	       {.reason = MS_FB_PEER, .at = 32}}},
    {.name = "a CR that does not end the head is malformed",
     .steps = {{.bytes = GET_A},
	       {.server = 1,
		.bytes = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\rX: y\r\n\r\nhello",
		.want = CAPTURE}},
     .modes = {{.server = 1, .reason = MS_FB_HEAD, .with_req = 1},
	       {.reason = MS_FB_PEER, .at = 32}}},
    {.name = "two Content-Length headers are the parser's call",
     .steps = {{.bytes = GET_A},
	       {.server = 1,
		.bytes = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\ncontent-length: 5\r\n\r\nhello",
		.want = CAPTURE}},
     .modes = {{.server = 1, .reason = MS_FB_HEAD, .with_req = 1},
	       {.reason = MS_FB_PEER, .at = 32}}},
    {.name = "Transfer-Encoding after Content-Length still makes the body chunked",
     .steps = {{.bytes = GET_A},
	       {.server = 1,
		.bytes = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n"
			 "\r\n5\r\nhello\r\n0\r\n\r\n",
		.want = CAPTURE}},
     .modes = {{.server = 1, .reason = MS_FB_FRAMING, .with_req = 1},
	       {.reason = MS_FB_PEER, .at = 32}}},
    {.name = "a head whose empty line is cut after its CR is split",
     .steps = {{.bytes = "GET /c HTTP/1.1\r\nHost: x\r\n\r", .want = CAPTURE},
	       {.at = 27, .bytes = "\n", .want = CAPTURE}},
     .captured_from_start = 1},
    {.name = "a head cut at a line start is split",
     .steps = {{.bytes = "GET /c HTTP/1.1\r\nHost: x\r\n", .want = CAPTURE},
	       {.at = 26, .bytes = "\r\n", .want = CAPTURE}},
     .captured_from_start = 1},
    {.name =
	 "64 lines the scan looks at (63 short 'b' headers and Content-Length) stay in the kernel",
     .steps = {{.bytes = GET_A},
	       {.server = 1, .bytes = "HTTP/1.1 200 OK\r\n" B63 "Content-Length: 5\r\n\r\nhello"}},
     .pairs = {{200, "GET", "/a?q=1", NULL, 32, 358}}},
    {.name = "more than 64 such lines are left to the parser",
     .steps = {{.bytes = GET_A},
	       {.server = 1,
		.bytes = "HTTP/1.1 200 OK\r\n" B65 "Content-Length: 5\r\n\r\nhello",
		.want = CAPTURE}},
     .modes = {{.server = 1, .reason = MS_FB_HEAD, .with_req = 1},
	       {.reason = MS_FB_PEER, .at = 32}}},
    {.name = "a server that speaks first leaves the connection to capture",
     .steps = {{.server = 1, .bytes = "220 smtp ready\r\n", .want = CAPTURE}},
     .captured_from_start = 1},
};

static void test_fixture_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(fixtures) / sizeof(fixtures[0]); i++) {
		printf("  %s\n", fixtures[i].name);
		run_fixture(&fixtures[i]);
	}
}

static int setup(void **state)
{
	(void)state;
	skel = http1_kernel_bpf__open_and_load();
	if (!skel) {
		fprintf(stderr, "cannot load tests/bpf/http1_kernel.bpf.c (root and BTF needed)\n");
		return -1;
	}
	rb = ring_buffer__new(bpf_map__fd(skel->maps.events), on_event, NULL, NULL);
	return rb ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	ring_buffer__free(rb);
	http1_kernel_bpf__destroy(skel);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_fixture_table),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
