/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * W3C trace context for a transaction, shared by the spans (otlp/traces.c)
 * and the access log (answers/access_log.c), so a log record names the span
 * it belongs to:
 *
 *   traceparent_parse(tp, trace, parent, &flags)  false when tp is invalid
 *   txn_ids(info, txn, server, &ids)              the ids of this end's span
 *
 * A request that carried a valid traceparent keeps its trace id and gets the
 * header's span as parent. One that did not gets ids both agents of the
 * connection derive alike from what both sockets see (addresses, ports, the
 * client's first sequence number, the transaction's index), so the client
 * and server spans of one request land in one trace with no coordination.
 */
#ifndef MESHSIGHT_TRACE_CONTEXT_H
#define MESHSIGHT_TRACE_CONTEXT_H

#include <stdbool.h>
#include <stdint.h>

#include "core/flows.h"
#include "core/http1.h"

struct txn_ids {
	uint8_t trace_id[16];
	uint8_t span_id[8];
	uint8_t parent_id[8]; /* all zero: a root span */
	uint8_t flags;	      /* the header's trace-flags, or 1 */
	bool from_header;     /* the request carried a valid traceparent */
};

bool traceparent_parse(const char *tp, uint8_t trace_id[16], uint8_t parent_id[8], uint8_t *flags);
void txn_ids(const struct flow_txn_info *info, const struct http1_txn *t, bool server,
	     struct txn_ids *out);

#endif /* MESHSIGHT_TRACE_CONTEXT_H */
