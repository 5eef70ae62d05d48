// SPDX-License-Identifier: BSD-2-Clause
/*
 * See access_log.h. The hook runs on the consumer thread for every
 * transaction; one that is not recorded (a success in errors mode, the
 * client's copy of a local request) costs two comparisons and no lock.
 */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "answers/access_log.h"
#include "answers/graph.h"
#include "lib/str.h"
#include "core/trace_context.h"
#include "lib/clock.h"

int access_log_mode_parse(const char *s, enum access_log_mode *out)
{
	if (!strcmp(s, "errors"))
		*out = ACCESS_LOG_ERRORS;
	else if (!strcmp(s, "all"))
		*out = ACCESS_LOG_ALL;
	else if (!strcmp(s, "off"))
		*out = ACCESS_LOG_OFF;
	else
		return -EINVAL;
	return 0;
}

const char *access_log_mode_name(enum access_log_mode m)
{
	return m == ACCESS_LOG_ALL ? "all" : m == ACCESS_LOG_OFF ? "off" : "errors";
}

void access_log_init(struct access_log *al, enum access_log_mode mode, uint32_t per_second,
		     uint64_t mono_to_unix_ns)
{
	memset(al, 0, sizeof(*al));
	al->mode = mode;
	al->per_second = per_second;
	al->mono_to_unix_ns = mono_to_unix_ns;
	al->tokens = per_second;
	pthread_mutex_init(&al->lock, NULL);
}

void access_log_free(struct access_log *al)
{
	pthread_mutex_destroy(&al->lock);
}

/* Token bucket refilled at per_second, one second of burst (0: no ceiling). */
static bool ceiling_allows(struct access_log *al, uint64_t now_ns)
{
	double rate = al->per_second;

	if (!rate)
		return true;
	if (now_ns > al->tokens_ns) {
		al->tokens += (double)(now_ns - al->tokens_ns) / 1e9 * rate;
		if (al->tokens > rate)
			al->tokens = rate;
		al->tokens_ns = now_ns;
	}
	if (al->tokens < 1)
		return false;
	al->tokens -= 1;
	return true;
}

static void record_fill(struct access_record *r, const struct access_log *al,
			const struct flow_txn_info *info, const struct http1_txn *t)
{
	uint64_t end = t->resp_start_ns ?: info->end_ns;
	struct txn_ids ids;

	memset(r, 0, sizeof(*r));
	r->time_unix_ns = info->end_ns + al->mono_to_unix_ns;
	r->duration_ns = end > t->req_start_ns ? end - t->req_start_ns : 0;
	memcpy(r->client_addr, info->client_addr, 16);
	memcpy(r->server_addr, info->server_addr, 16);
	r->client_port = info->client_port;
	r->server_port = info->server_port;
	r->local = info->local;
	r->local_is_client = info->local_is_client;
	r->status = t->status;
	snprintf(r->method, sizeof(r->method), "%s", t->method);
	snprintf(r->path, sizeof(r->path), "%s", t->path);
	txn_ids(info, t, !info->local_is_client, &ids);
	memcpy(r->trace_id, ids.trace_id, sizeof(r->trace_id));
	memcpy(r->span_id, ids.span_id, sizeof(r->span_id));
}

void access_log_on_txn(void *ctx, const struct flow_txn_info *info, const struct http1_txn *t)
{
	struct access_log *al = ctx;
	bool failed = t->status == 0 || t->status >= 500;

	if (al->mode == ACCESS_LOG_OFF || (al->mode == ACCESS_LOG_ERRORS && !failed))
		return;
	if (info->peer_local && info->local_is_client)
		return; /* the server's socket records it */
	pthread_mutex_lock(&al->lock);
	if (!ceiling_allows(al, info->end_ns)) {
		al->rate_dropped++;
	} else {
		if (al->count == ACCESS_LOG_RING)
			al->overwritten++;
		else
			al->count++;
		record_fill(&al->ring[al->head], al, info, t);
		al->head = (al->head + 1) % ACCESS_LOG_RING;
		al->recorded++;
	}
	pthread_mutex_unlock(&al->lock);
}

size_t access_log_since(struct access_log *al, uint64_t *cursor, struct access_record *out,
			size_t max, uint64_t *missed)
{
	uint64_t oldest, behind;
	size_t n, i;

	pthread_mutex_lock(&al->lock);
	oldest = al->recorded - al->count;
	if (*cursor < oldest) {
		*missed += oldest - *cursor;
		*cursor = oldest;
	}
	n = al->recorded - *cursor < max ? al->recorded - *cursor : max;
	for (i = 0; i < n; i++) {
		behind = al->recorded - (*cursor + i); /* 1 for the newest */
		out[i] = al->ring[(al->head + ACCESS_LOG_RING - behind) % ACCESS_LOG_RING];
	}
	*cursor += n;
	pthread_mutex_unlock(&al->lock);
	return n;
}

/* One end, named as the graph names it, with its address and port. */
static json_t *end_json(struct naming *naming, const uint8_t addr[16], uint16_t port,
			const struct edge_end *local)
{
	struct endpoint_names n;
	struct edge_end none = {0};
	enum graph_node_kind kind;
	char id[GRAPH_ID_MAX];
	json_t *o = json_object();

	naming_resolve(naming, addr, local ? local : &none, &n);
	json_object_set_new(o, "name", json_string(graph_node_id(&n, &kind, id, sizeof(id))));
	json_object_set_new(o, "address", json_string(n.address));
	json_object_set_new(o, "port", json_integer(port));
	return o;
}

static json_t *record_json(const struct access_record *r, struct naming *naming)
{
	char trace[33], span[17];
	json_t *o = json_object();

	str_hex_encode(trace, r->trace_id, 16);
	str_hex_encode(span, r->span_id, 8);
	json_object_set_new(o, "time_unix_nano", json_integer((json_int_t)r->time_unix_ns));
	json_object_set_new(o, "source",
			    end_json(naming, r->client_addr, r->client_port,
				     r->local_is_client ? &r->local : NULL));
	json_object_set_new(o, "destination",
			    end_json(naming, r->server_addr, r->server_port,
				     r->local_is_client ? NULL : &r->local));
	json_object_set_new(o, "method", json_string(r->method));
	json_object_set_new(o, "path", json_string(r->path));
	json_object_set_new(o, "status", json_integer(r->status));
	json_object_set_new(o, "duration_ms", json_real((double)r->duration_ns / 1e6));
	json_object_set_new(o, "trace_id", json_string(trace));
	json_object_set_new(o, "span_id", json_string(span));
	json_object_set_new(o, "reporter",
			    json_string(r->local_is_client ? "source" : "destination"));
	return o;
}

json_t *access_log_json(struct access_log *al, struct naming *naming, uint32_t limit)
{
	json_t *root = json_object(), *list = json_array(), *dropped = json_object();
	static struct access_record copy[ACCESS_LOG_RING]; /* the endpoint has one thread */
	uint32_t n, i;

	pthread_mutex_lock(&al->lock);
	n = limit && limit < al->count ? limit : al->count;
	for (i = 0; i < n; i++)
		copy[i] = al->ring[(al->head + ACCESS_LOG_RING - n + i) % ACCESS_LOG_RING];
	json_object_set_new(dropped, "rate", json_integer((json_int_t)al->rate_dropped));
	json_object_set_new(dropped, "overwritten", json_integer((json_int_t)al->overwritten));
	json_object_set_new(root, "recorded", json_integer((json_int_t)al->recorded));
	pthread_mutex_unlock(&al->lock);
	for (i = 0; i < n; i++) /* named without the lock: the consumer never waits for it */
		json_array_append_new(list, record_json(&copy[i], naming));
	json_object_set_new(root, "mode", json_string(access_log_mode_name(al->mode)));
	json_object_set_new(root, "max_per_second", json_integer(al->per_second));
	json_object_set_new(root, "dropped", dropped);
	json_object_set_new(root, "records", list);
	return root;
}

void access_log_get_stats(struct access_log *al, struct answers_stats *out)
{
	if (!al)
		return;
	pthread_mutex_lock(&al->lock);
	out->access_recorded = al->recorded;
	out->access_dropped_rate = al->rate_dropped;
	out->access_dropped_overwritten = al->overwritten;
	pthread_mutex_unlock(&al->lock);
}
