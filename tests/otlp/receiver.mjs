#!/usr/bin/env node
// OTLP/HTTP test receiver for meshsight. Listens on 127.0.0.1 only.
//
//   node receiver.mjs --port P [--mode ok|503|429|400|slow|partial]
//                     [--retry-after S] [--slow-ms N] [--max-stored N]
//                     [--tls-cert PEM --tls-key PEM]   (serve https)
//                     [--host ADDR]   (default 127.0.0.1; 0.0.0.0 inside a test pod)
//
// On start prints one JSON line to stdout: {"listening":"127.0.0.1","port":N}
// (use --port 0 for a free port). See README.md for the API.
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { parseArgs } from 'node:util';
import {
  SIGNALS, DecodeError, decodeBody, encodeResponse, encodeStatus, countItems,
} from './otlp-codec.mjs';

const MODES = new Set(['ok', '503', '429', '400', 'slow', 'partial']);
const MAX_BODY = 64 * 1024 * 1024;

const { values: args } = parseArgs({
  options: {
    port: { type: 'string', default: '4318' },
    host: { type: 'string', default: '127.0.0.1' },
    mode: { type: 'string', default: 'ok' },
    'retry-after': { type: 'string' },
    'slow-ms': { type: 'string', default: '2000' },
    'max-stored': { type: 'string', default: '1000' },
    quiet: { type: 'boolean', default: false },
    'tls-cert': { type: 'string' },
    'tls-key': { type: 'string' },
  },
});

const state = {
  mode: args.mode,
  retry_after: args['retry-after'] ?? null,
  slow_ms: Number(args['slow-ms']),
  count: null, // when a number: apply mode to that many more export requests, then revert to ok
};
if (!MODES.has(state.mode)) {
  process.stderr.write(`receiver: unknown --mode ${state.mode}\n`);
  process.exit(2);
}
const maxStored = Number(args['max-stored']);

const emptyReceived = () => ({ metrics: [], traces: [], logs: [] });
let received = emptyReceived();
let seq = 0;
let stats;
function resetStats() {
  stats = {
    requests: { metrics: 0, traces: 0, logs: 0 },
    decoded: { metrics: 0, traces: 0, logs: 0 },
    items: {
      metrics: { resources: 0, metrics: 0, data_points: 0 },
      traces: { resources: 0, spans: 0 },
      logs: { resources: 0, log_records: 0 },
    },
    responses: {},
    decode_errors: 0,
    last_decode_errors: [],
    unsupported_media_type: 0,
    json_warnings: 0,
    non_canonical_protobuf: 0,
    gzip: 0,
  };
}
resetStats();

function log(line) {
  if (!args.quiet) process.stderr.write(`otlp-receiver ${new Date().toISOString()} ${line}\n`);
}

function send(res, status, body, headers = {}) {
  const buf = Buffer.isBuffer(body) ? body : Buffer.from(body ?? '');
  res.writeHead(status, { 'content-length': buf.length, ...headers });
  res.end(buf);
}
const sendJson = (res, status, obj) => send(res, status, JSON.stringify(obj), { 'content-type': 'application/json' });

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let n = 0;
    req.on('data', (c) => {
      n += c.length;
      if (n > MAX_BODY) { reject(new Error('body too large')); req.destroy(); return; }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function currentMode() {
  const mode = state.mode;
  if (state.count !== null) {
    state.count -= 1;
    if (state.count <= 0) { state.mode = 'ok'; state.count = null; }
  }
  return mode;
}

function countResponse(status) {
  stats.responses[status] = (stats.responses[status] || 0) + 1;
}

async function handleExport(req, res, signal) {
  stats.requests[signal]++;
  const ctype = String(req.headers['content-type'] || '').split(';')[0].trim().toLowerCase();
  const cenc = String(req.headers['content-encoding'] || 'identity').trim().toLowerCase();
  const body = await readBody(req);
  const format = ctype === 'application/x-protobuf' ? 'protobuf' : ctype === 'application/json' ? 'json' : null;
  const respType = format === 'json' ? 'application/json' : 'application/x-protobuf';
  const tag = `POST ${req.url} ct=${ctype || '-'} ce=${cenc} bytes=${body.length}`;

  if (!format || !['gzip', 'identity'].includes(cenc)) {
    stats.unsupported_media_type++;
    countResponse(415);
    log(`${tag} -> 415 unsupported content-type/encoding`);
    send(res, 415, encodeStatus(format || 'json', 3, `unsupported content-type ${ctype} or content-encoding ${cenc}`),
      { 'content-type': format ? respType : 'application/json' });
    return;
  }
  if (cenc === 'gzip') stats.gzip++;

  let decoded;
  try {
    decoded = decodeBody(signal, body, { format, gzip: cenc === 'gzip' });
  } catch (e) {
    if (!(e instanceof DecodeError)) throw e;
    stats.decode_errors++;
    stats.last_decode_errors.push({ signal, error: e.message, at_ms: Date.now() });
    if (stats.last_decode_errors.length > 20) stats.last_decode_errors.shift();
    countResponse(400);
    log(`${tag} -> 400 decode error: ${e.message}`);
    send(res, 400, encodeStatus(format, 3, e.message), { 'content-type': respType });
    return;
  }
  stats.decoded[signal]++;
  if (decoded.warnings.length) stats.json_warnings++;
  if (decoded.canonical === false) stats.non_canonical_protobuf++;
  const counts = countItems(signal, decoded.body);
  for (const [k, v] of Object.entries(counts)) stats.items[signal][k] += v;

  const mode = currentMode();
  let status = 200;
  let respBody;
  const headers = { 'content-type': respType };
  switch (mode) {
    case '503':
    case '429':
      status = Number(mode);
      if (state.retry_after !== null && state.retry_after !== '') headers['retry-after'] = String(state.retry_after);
      respBody = encodeStatus(format, mode === '503' ? 14 : 8, mode === '503' ? 'test unavailable' : 'test throttled');
      break;
    case '400':
      status = 400;
      respBody = encodeStatus(format, 3, 'test bad request');
      break;
    case 'partial':
      respBody = encodeResponse(signal, format, { rejected: 1, message: 'test rejection' });
      break;
    case 'slow':
      await new Promise((r) => setTimeout(r, state.slow_ms));
      respBody = encodeResponse(signal, format, null);
      break;
    default:
      respBody = encodeResponse(signal, format, null);
  }

  const entry = {
    seq: ++seq,
    signal,
    path: req.url,
    received_at_ms: Date.now(),
    headers: Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k.toLowerCase(), Array.isArray(v) ? v.join(', ') : v])),
    format,
    gzip: cenc === 'gzip',
    wire_bytes: body.length,
    decoded_bytes: decoded.decoded_bytes,
    canonical: decoded.canonical,
    json_warnings: decoded.warnings,
    mode,
    response_status: status,
    body: decoded.body,
  };
  const list = received[signal];
  list.push(entry);
  if (list.length > maxStored) list.splice(0, list.length - maxStored);

  countResponse(status);
  const cs = Object.entries(counts).map(([k, v]) => `${k}=${v}`).join(' ');
  const extra = (decoded.canonical === false ? ' non-canonical' : '') + (decoded.warnings.length ? ` json_warnings=${decoded.warnings.length}` : '');
  log(`${tag} ${cs}${extra} mode=${mode} -> ${status}`);
  if (!res.destroyed) send(res, status, respBody, headers);
}

async function handleControl(req, res, url) {
  const p = url.pathname;
  if (req.method === 'GET' && p === '/healthz') return sendJson(res, 200, { ok: true });
  if (req.method === 'GET' && p === '/received') {
    const sig = url.searchParams.get('signal');
    if (sig && !SIGNALS[sig]) return sendJson(res, 400, { error: 'signal must be metrics, traces or logs' });
    const list = sig ? received[sig] : [...received.metrics, ...received.traces, ...received.logs].sort((a, b) => a.seq - b.seq);
    return sendJson(res, 200, list);
  }
  if (req.method === 'GET' && p === '/stats') return sendJson(res, 200, { ...stats, mode: { ...state } });
  if (req.method === 'GET' && p === '/mode') return sendJson(res, 200, { ...state });
  if (req.method === 'POST' && p === '/mode') {
    let m;
    try { m = JSON.parse((await readBody(req)).toString('utf8') || '{}'); } catch (e) { return sendJson(res, 400, { error: `bad JSON: ${e.message}` }); }
    if (m.mode !== undefined && !MODES.has(String(m.mode))) return sendJson(res, 400, { error: `unknown mode ${m.mode}` });
    if (m.mode !== undefined) state.mode = String(m.mode);
    if (m.retry_after !== undefined) state.retry_after = m.retry_after === null ? null : String(m.retry_after);
    if (m.slow_ms !== undefined) state.slow_ms = Number(m.slow_ms);
    state.count = m.count === undefined || m.count === null ? null : Number(m.count);
    return sendJson(res, 200, { ...state });
  }
  if (req.method === 'POST' && p === '/reset') {
    received = emptyReceived();
    resetStats();
    return sendJson(res, 200, { ok: true });
  }
  return sendJson(res, 404, { error: `no route ${req.method} ${p}` });
}

const tls = args['tls-cert'] && args['tls-key']
  ? { cert: fs.readFileSync(args['tls-cert']), key: fs.readFileSync(args['tls-key']) }
  : null;
const server = (tls ? https.createServer.bind(null, tls) : http.createServer)(async (req, res) => {
  const url = new URL(req.url, 'http://127.0.0.1');
  try {
    const signal = Object.keys(SIGNALS).find((s) => SIGNALS[s].path === url.pathname);
    if (signal) {
      if (req.method !== 'POST') { countResponse(405); log(`${req.method} ${req.url} -> 405`); return send(res, 405, '', { allow: 'POST' }); }
      return await handleExport(req, res, signal);
    }
    await handleControl(req, res, url);
    log(`${req.method} ${req.url} -> ${res.statusCode}`);
  } catch (e) {
    log(`${req.method} ${req.url} -> 500 ${e.stack || e}`);
    if (!res.headersSent) sendJson(res, 500, { error: String(e.message || e) });
  }
});

server.listen(Number(args.port), args.host, () => {
  const { port } = server.address();
  process.stdout.write(`${JSON.stringify({ listening: args.host, port })}\n`);
  log(`listening on ${args.host}:${port} mode=${state.mode}`);
});

for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => { server.close(); process.exit(0); });
}
