// Shared OTLP codec for meshsight's test tools (receiver, decode-file, selftest).
//
// Decoding is done by protobufjs with the OpenTelemetry JS project's
// generated static OTLP code (not by anything in meshsight):
//   @opentelemetry/otlp-transformer/build/src/generated/root.js
// (0.216.0 is the last release whose generated root holds BOTH the metrics
// and the trace messages; later ones dropped them.)
//
// Normalized form (what every tool prints / stores), identical for
// protobuf and OTLP/JSON input:
//   * field names lowerCamelCase (the OTLP/JSON names)
//   * every field present with its default (defaults: true); absent
//     sub-messages are null; repeated fields are [] when empty;
//     oneof members (AnyValue.*Value, NumberDataPoint.asInt/asDouble,
//     Metric.sum/gauge/histogram/..., optional Histogram sum/min/max)
//     appear only when set
//   * traceId / spanId / parentSpanId: lowercase hex strings ("" if empty)
//   * other bytes (AnyValue.bytesValue): base64 strings
//   * 64-bit integers (int64, uint64, fixed64, sfixed64): decimal strings
//   * enums: numbers
//   * doubles: numbers; NaN / Infinity / -Infinity as strings
import { createRequire } from 'node:module';
import zlib from 'node:zlib';

const require = createRequire(import.meta.url);

export const GENERATED_MODULE = '@opentelemetry/otlp-transformer/build/src/generated/root.js';
const root = require(GENERATED_MODULE);
const protobuf = require('protobufjs');

export const proto = root.opentelemetry.proto;

// The logs messages: the generated root of 0.216.0 has none (its logs
// serializer is hand-written, encode only), so they are defined here from
// opentelemetry-proto v1.5 logs/v1/logs.proto and collector/logs/v1 (field
// numbers and types as there; common/resource repeated for self-containment),
// parsed by protobufjs. selftest.mjs checks them against the logs bodies the
// OpenTelemetry JS SDK itself serializes (@opentelemetry/sdk-logs).
const LOGS_PROTO = `
syntax = "proto3";
package opentelemetry.proto.logsdecode.v1;
message AnyValue {
  oneof value {
    string string_value = 1; bool bool_value = 2; int64 int_value = 3; double double_value = 4;
    ArrayValue array_value = 5; KeyValueList kvlist_value = 6; bytes bytes_value = 7;
  }
}
message ArrayValue { repeated AnyValue values = 1; }
message KeyValueList { repeated KeyValue values = 1; }
message KeyValue { string key = 1; AnyValue value = 2; }
message InstrumentationScope {
  string name = 1; string version = 2; repeated KeyValue attributes = 3; uint32 dropped_attributes_count = 4;
}
message Resource { repeated KeyValue attributes = 1; uint32 dropped_attributes_count = 2; }
message ExportLogsServiceRequest { repeated ResourceLogs resource_logs = 1; }
message ExportLogsServiceResponse { ExportLogsPartialSuccess partial_success = 1; }
message ExportLogsPartialSuccess { int64 rejected_log_records = 1; string error_message = 2; }
message ResourceLogs { Resource resource = 1; repeated ScopeLogs scope_logs = 2; string schema_url = 3; }
message ScopeLogs { InstrumentationScope scope = 1; repeated LogRecord log_records = 2; string schema_url = 3; }
message LogRecord {
  fixed64 time_unix_nano = 1; int32 severity_number = 2; string severity_text = 3;
  AnyValue body = 5; repeated KeyValue attributes = 6; uint32 dropped_attributes_count = 7;
  fixed32 flags = 8; bytes trace_id = 9; bytes span_id = 10;
  fixed64 observed_time_unix_nano = 11; string event_name = 12;
}
`;
const logsRoot = protobuf.parse(LOGS_PROTO, { keepCase: false }).root;
const logsType = (n) => logsRoot.lookupType(`opentelemetry.proto.logsdecode.v1.${n}`);

export const SIGNALS = {
  metrics: {
    path: '/v1/metrics',
    Request: proto.collector.metrics.v1.ExportMetricsServiceRequest,
    Response: proto.collector.metrics.v1.ExportMetricsServiceResponse,
    rejectedField: 'rejectedDataPoints',
  },
  traces: {
    path: '/v1/traces',
    Request: proto.collector.trace.v1.ExportTraceServiceRequest,
    Response: proto.collector.trace.v1.ExportTraceServiceResponse,
    rejectedField: 'rejectedSpans',
  },
  logs: {
    path: '/v1/logs',
    Request: logsType('ExportLogsServiceRequest'),
    Response: logsType('ExportLogsServiceResponse'),
    rejectedField: 'rejectedLogRecords',
  },
};

// google.rpc.Status is not in the generated root; define it with protobufjs
// reflection (details is repeated google.protobuf.Any; kept as raw bytes).
const statusRoot = new protobuf.Root();
statusRoot.define('google.rpc').add(
  new protobuf.Type('Status')
    .add(new protobuf.Field('code', 1, 'int32'))
    .add(new protobuf.Field('message', 2, 'string'))
    .add(new protobuf.Field('details', 3, 'bytes', 'repeated')),
);
export const Status = statusRoot.lookupType('google.rpc.Status');

export const TO_OBJECT = {
  longs: String,
  enums: Number,
  bytes: String,
  defaults: true,
  arrays: true,
  json: true,
};

export const ID_KEYS = new Set(['traceId', 'spanId', 'parentSpanId']);
const ID_HEX_LEN = { traceId: 32, spanId: 16, parentSpanId: 16 };
const ENUM_KEYS = new Set(['kind', 'code', 'aggregationTemporality', 'severityNumber']);

function mapIds(value, fn, path = '') {
  if (Array.isArray(value)) return value.map((v, i) => mapIds(v, fn, `${path}[${i}]`));
  if (value && typeof value === 'object' && !Buffer.isBuffer(value) && !(value instanceof Uint8Array)) {
    const out = {};
    for (const [k, v] of Object.entries(value)) {
      out[k] = ID_KEYS.has(k) && v != null ? fn(k, v, `${path}.${k}`) : mapIds(v, fn, `${path}.${k}`);
    }
    return out;
  }
  return value;
}

export class DecodeError extends Error {}

/** Message instance -> normalized plain JSON object. */
export function normalizeMessage(Type, msg) {
  const obj = Type.toObject(msg, TO_OBJECT);
  return mapIds(obj, (k, v) => Buffer.from(v, 'base64').toString('hex'));
}

/** Decode a protobuf body. Returns {body, canonical}. */
export function decodeProtobuf(signal, buf) {
  const { Request } = SIGNALS[signal];
  let msg;
  try {
    msg = Request.decode(buf);
  } catch (e) {
    throw new DecodeError(`protobuf decode failed: ${e.message}`);
  }
  const verr = Request.verify(msg);
  if (verr) throw new DecodeError(`protobuf verify failed: ${verr}`);
  const reencoded = Buffer.from(Request.encode(msg).finish());
  return { body: normalizeMessage(Request, msg), canonical: reencoded.equals(Buffer.from(buf)) };
}

function compareLeaf(key, inV, outV) {
  if (inV === outV) return true;
  if (ID_KEYS.has(key) && typeof inV === 'string') return inV.toLowerCase() === outV;
  if (key === 'bytesValue' && typeof inV === 'string') {
    return Buffer.from(inV, 'base64').equals(Buffer.from(String(outV), 'base64'));
  }
  if (typeof outV === 'string' && /^-?\d+$/.test(outV)) {
    try {
      if (typeof inV === 'number' && !Number.isSafeInteger(inV)) return false;
      return BigInt(inV) === BigInt(outV);
    } catch { return false; }
  }
  if (typeof outV === 'number' && (typeof inV === 'string' || typeof inV === 'number')) {
    return inV !== '' && Number(inV) === outV;
  }
  if (typeof outV === 'string' && ['NaN', 'Infinity', '-Infinity'].includes(outV)) return String(inV) === outV;
  return false;
}

/** Walk the raw JSON input against the normalized output; report anything
 *  that was dropped (unknown key, e.g. snake_case) or coerced. */
function jsonWarnings(input, output, path = '', warnings = [], key = '') {
  if (warnings.length >= 50) return warnings;
  if (input === null || input === undefined) return warnings;
  if (Array.isArray(input)) {
    if (!Array.isArray(output)) { warnings.push(`${path}: array not accepted here`); return warnings; }
    input.forEach((v, i) => jsonWarnings(v, output[i], `${path}[${i}]`, warnings, key));
    return warnings;
  }
  if (typeof input === 'object') {
    if (!output || typeof output !== 'object') { warnings.push(`${path}: object not accepted here`); return warnings; }
    for (const [k, v] of Object.entries(input)) {
      if (!(k in output)) { warnings.push(`${path}.${k}: unknown field (ignored)`); continue; }
      jsonWarnings(v, output[k], `${path}.${k}`, warnings, k);
    }
    return warnings;
  }
  if (ENUM_KEYS.has(key) && typeof input === 'string') {
    warnings.push(`${path}: enum given as name ${JSON.stringify(input)} (OTLP/JSON requires integers)`);
    return warnings;
  }
  if (!compareLeaf(key, input, output)) {
    warnings.push(`${path}: value ${JSON.stringify(input)} decoded as ${JSON.stringify(output)}`);
  }
  return warnings;
}

/** Decode an OTLP/JSON body. Returns {body, warnings}. The message goes
 *  JSON -> generated fromObject -> protobuf encode -> decode -> normalize,
 *  so the result is exactly what the same data sent as protobuf gives. */
export function decodeJson(signal, buf) {
  const { Request } = SIGNALS[signal];
  let parsed;
  try {
    parsed = JSON.parse(Buffer.from(buf).toString('utf8'));
  } catch (e) {
    throw new DecodeError(`JSON parse failed: ${e.message}`);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new DecodeError('JSON body is not an object');
  }
  const withBytes = mapIds(parsed, (k, v, p) => {
    if (typeof v !== 'string' || !/^([0-9a-fA-F]{2})*$/.test(v)) {
      throw new DecodeError(`${p}: expected a hex string, got ${JSON.stringify(v)}`);
    }
    if (v.length !== 0 && v.length !== ID_HEX_LEN[k]) {
      throw new DecodeError(`${p}: expected ${ID_HEX_LEN[k]} hex chars, got ${v.length}`);
    }
    return Buffer.from(v, 'hex');
  });
  let msg;
  try {
    msg = Request.fromObject(withBytes);
  } catch (e) {
    throw new DecodeError(`JSON to message failed: ${e.message}`);
  }
  const verr = Request.verify(msg);
  if (verr) throw new DecodeError(`JSON verify failed: ${verr}`);
  const again = Request.decode(Request.encode(msg).finish());
  const body = normalizeMessage(Request, again);
  return { body, warnings: jsonWarnings(parsed, body) };
}

export function gunzip(buf, maxOutputLength = 64 * 1024 * 1024) {
  try {
    return zlib.gunzipSync(buf, { maxOutputLength });
  } catch (e) {
    throw new DecodeError(`gunzip failed: ${e.message}`);
  }
}

/** Decode a whole body. format: 'protobuf' | 'json'. */
export function decodeBody(signal, buf, { format = 'protobuf', gzip = false } = {}) {
  if (!SIGNALS[signal]) throw new DecodeError(`unknown signal ${signal}`);
  const raw = gzip ? gunzip(buf) : buf;
  if (format === 'json') {
    const { body, warnings } = decodeJson(signal, raw);
    return { body, warnings, canonical: null, decoded_bytes: raw.length };
  }
  const { body, canonical } = decodeProtobuf(signal, raw);
  return { body, warnings: [], canonical, decoded_bytes: raw.length };
}

// ---- encoders used by the receiver's responses and the selftest ----

/** Plain object with hex-string ids (OTLP/JSON style) -> protobuf bytes. */
export function encodeProtobuf(signal, obj) {
  const { Request } = SIGNALS[signal];
  const withBytes = mapIds(obj, (k, v) => Buffer.from(v, 'hex'));
  const msg = Request.fromObject(withBytes);
  const verr = Request.verify(msg);
  if (verr) throw new Error(`encodeProtobuf: ${verr}`);
  return Buffer.from(Request.encode(msg).finish());
}

export function encodeResponse(signal, format, partial) {
  const { Response, rejectedField } = SIGNALS[signal];
  const plain = partial
    ? { partialSuccess: { [rejectedField]: String(partial.rejected), errorMessage: partial.message } }
    : {};
  if (format === 'json') return Buffer.from(JSON.stringify(plain));
  return Buffer.from(Response.encode(Response.fromObject(plain)).finish());
}

export function decodeResponse(signal, format, buf) {
  const { Response } = SIGNALS[signal];
  const msg = format === 'json'
    ? Response.fromObject(JSON.parse(Buffer.from(buf).toString('utf8') || '{}'))
    : Response.decode(buf);
  return Response.toObject(msg, { longs: String, enums: Number, defaults: false, json: true });
}

export function encodeStatus(format, code, message) {
  if (format === 'json') return Buffer.from(JSON.stringify({ code, message }));
  return Buffer.from(Status.encode(Status.create({ code, message })).finish());
}

export function decodeStatus(format, buf) {
  if (format === 'json') return JSON.parse(Buffer.from(buf).toString('utf8'));
  return Status.toObject(Status.decode(buf), { defaults: true });
}

/** Small counts used in log lines and /stats. */
export function countItems(signal, body) {
  let resources = 0, items = 0, metrics = 0;
  if (signal === 'metrics') {
    for (const rm of body.resourceMetrics || []) {
      resources++;
      for (const sm of rm.scopeMetrics || []) {
        for (const m of sm.metrics || []) {
          metrics++;
          const d = m.gauge || m.sum || m.histogram || m.exponentialHistogram || m.summary;
          items += d && d.dataPoints ? d.dataPoints.length : 0;
        }
      }
    }
    return { resources, metrics, data_points: items };
  }
  if (signal === 'logs') {
    for (const rl of body.resourceLogs || []) {
      resources++;
      for (const sl of rl.scopeLogs || []) items += (sl.logRecords || []).length;
    }
    return { resources, log_records: items };
  }
  for (const rs of body.resourceSpans || []) {
    resources++;
    for (const ss of rs.scopeSpans || []) items += (ss.spans || []).length;
  }
  return { resources, spans: items };
}
