#!/usr/bin/env node
// Self test of the OTLP test receiver and decoder. Starts receiver.mjs on a
// free 127.0.0.1 port, sends sample OTLP requests built with the generated
// OpenTelemetry classes (protobuf and OTLP/JSON, plain and gzip), and checks
// what /received, /stats and the responses say. Prints "N passed, M failed".
import { spawn, spawnSync } from 'node:child_process';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';
import {
  encodeProtobuf, decodeResponse, decodeStatus, SIGNALS,
} from './otlp-codec.mjs';
import {
  SAMPLE_METRICS, SAMPLE_TRACES, EXPECTED_METRICS, EXPECTED_TRACES,
} from './samples.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const SAMPLE = { metrics: SAMPLE_METRICS, traces: SAMPLE_TRACES };
const EXPECTED = { metrics: EXPECTED_METRICS, traces: EXPECTED_TRACES };
const CT = { protobuf: 'application/x-protobuf', json: 'application/json' };

let passed = 0;
let failed = 0;
async function test(name, fn) {
  try {
    await fn();
    passed++;
    console.log(`ok   ${name}`);
  } catch (e) {
    failed++;
    console.log(`FAIL ${name}\n     ${String(e.stack || e).split('\n').slice(0, 12).join('\n     ')}`);
  }
}

// ---- receiver process ----
const stderrLines = [];
const child = spawn(process.execPath, [path.join(HERE, 'receiver.mjs'), '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
child.stderr.setEncoding('utf8');
child.stderr.on('data', (d) => stderrLines.push(...d.split('\n').filter(Boolean)));
const port = await new Promise((resolve, reject) => {
  const timer = setTimeout(() => reject(new Error('receiver did not start in 10s')), 10000);
  let buf = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (d) => {
    buf += d;
    const nl = buf.indexOf('\n');
    if (nl >= 0) { clearTimeout(timer); resolve(JSON.parse(buf.slice(0, nl)).port); }
  });
  child.on('exit', (c) => reject(new Error(`receiver exited ${c}: ${stderrLines.join('\n')}`)));
});
const BASE = `http://127.0.0.1:${port}`;
const hardStop = setTimeout(() => { console.log('selftest: timeout'); child.kill(); process.exit(1); }, 60000);

async function getJson(p) {
  const r = await fetch(BASE + p);
  assert.equal(r.status, 200, `GET ${p}`);
  return r.json();
}
async function setMode(m) {
  const r = await fetch(`${BASE}/mode`, { method: 'POST', body: JSON.stringify(m), headers: { 'content-type': 'application/json' } });
  assert.equal(r.status, 200);
}
async function reset() {
  assert.equal((await fetch(`${BASE}/reset`, { method: 'POST' })).status, 200);
}

function body(signal, format, obj = SAMPLE[signal]) {
  return format === 'json' ? Buffer.from(JSON.stringify(obj)) : encodeProtobuf(signal, obj);
}

let postCount = 0;
async function post(signal, format, { gzip = false, data, headers = {}, contentType } = {}) {
  postCount++;
  let b = data ?? body(signal, format);
  const h = { 'content-type': contentType ?? CT[format], ...headers };
  if (gzip) { b = zlib.gzipSync(b); h['content-encoding'] = 'gzip'; }
  const r = await fetch(BASE + SIGNALS[signal].path, { method: 'POST', body: b, headers: h });
  return { status: r.status, headers: r.headers, body: Buffer.from(await r.arrayBuffer()) };
}

async function lastReceived(signal) {
  const list = await getJson(`/received?signal=${signal}`);
  assert.ok(list.length > 0, 'nothing received');
  return list[list.length - 1];
}

// ---- tests ----
await test('healthz', async () => assert.deepEqual(await getJson('/healthz'), { ok: true }));

for (const signal of ['metrics', 'traces']) {
  for (const format of ['protobuf', 'json']) {
    for (const gzip of [false, true]) {
      await test(`${signal} ${format}${gzip ? ' gzip' : ''}: decoded exactly, 200 with empty response`, async () => {
        const r = await post(signal, format, { gzip, headers: { 'X-Meshsight-Test': 'Abc' } });
        assert.equal(r.status, 200);
        assert.equal(r.headers.get('content-type'), CT[format]);
        if (format === 'json') assert.equal(r.body.toString(), '{}');
        else assert.equal(r.body.length, 0);
        assert.deepEqual(decodeResponse(signal, format, r.body), {});
        const e = await lastReceived(signal);
        assert.deepEqual(e.body, EXPECTED[signal]);
        assert.equal(e.headers['content-type'], CT[format]);
        assert.equal(e.headers['content-encoding'], gzip ? 'gzip' : undefined);
        assert.equal(e.headers['x-meshsight-test'], 'Abc');
        assert.equal(typeof e.received_at_ms, 'number');
        assert.ok(Math.abs(Date.now() - e.received_at_ms) < 10000);
        assert.equal(e.format, format);
        assert.equal(e.gzip, gzip);
        assert.equal(e.response_status, 200);
        assert.deepEqual(e.json_warnings, []);
        assert.equal(e.canonical, format === 'protobuf' ? true : null);
      });
    }
  }
}

await test('OTLP/JSON: uppercase hex ids and int64 as JSON numbers normalize to the same form', async () => {
  const t = structuredClone(SAMPLE_TRACES);
  const s = t.resourceSpans[0].scopeSpans[0].spans[0];
  s.traceId = s.traceId.toUpperCase();
  s.spanId = s.spanId.toUpperCase();
  s.events[0].timeUnixNano = 1700000000; // small, exact as a JSON number
  const r = await post('traces', 'json', { data: Buffer.from(JSON.stringify(t)) });
  assert.equal(r.status, 200);
  const e = await lastReceived('traces');
  const exp = structuredClone(EXPECTED_TRACES);
  exp.resourceSpans[0].scopeSpans[0].spans[0].events[0].timeUnixNano = '1700000000';
  assert.deepEqual(e.body, exp);
  assert.deepEqual(e.json_warnings, []);
});

await test('OTLP/JSON: snake_case key and enum name are reported in json_warnings', async () => {
  const t = structuredClone(SAMPLE_TRACES);
  const s = t.resourceSpans[0].scopeSpans[0].spans[0];
  s.start_time_unix_nano = s.startTimeUnixNano;
  delete s.startTimeUnixNano;
  s.kind = 'SPAN_KIND_SERVER';
  const r = await post('traces', 'json', { data: Buffer.from(JSON.stringify(t)) });
  assert.equal(r.status, 200);
  const e = await lastReceived('traces');
  assert.equal(e.body.resourceSpans[0].scopeSpans[0].spans[0].startTimeUnixNano, '0');
  assert.equal(e.body.resourceSpans[0].scopeSpans[0].spans[0].kind, 2);
  assert.equal(e.json_warnings.length, 2, JSON.stringify(e.json_warnings));
  assert.match(e.json_warnings.join('\n'), /start_time_unix_nano: unknown field/);
  assert.match(e.json_warnings.join('\n'), /kind: enum given as name/);
});

await test('protobuf that does not re-encode identically (fields out of order) is flagged but decoded', async () => {
  // ExportTraceServiceRequest{ resource_spans: [ ResourceSpans with
  // schema_url (field 3) = "x" written BEFORE resource (field 1) = {} ] }
  const data = Buffer.from([0x0a, 0x05, 0x1a, 0x01, 0x78, 0x0a, 0x00]);
  const r = await post('traces', 'protobuf', { data });
  assert.equal(r.status, 200);
  const e = await lastReceived('traces');
  assert.equal(e.canonical, false);
  assert.deepEqual(e.body, {
    resourceSpans: [{ resource: { attributes: [], entityRefs: [], droppedAttributesCount: 0 }, scopeSpans: [], schemaUrl: 'x' }],
  });
  assert.equal((await getJson('/stats')).non_canonical_protobuf, 1);
});

await test('503 mode returns Retry-After and a google.rpc.Status body', async () => {
  await setMode({ mode: '503', retry_after: 7 });
  for (const format of ['protobuf', 'json']) {
    const r = await post('metrics', format);
    assert.equal(r.status, 503);
    assert.equal(r.headers.get('retry-after'), '7');
    const st = decodeStatus(format, r.body);
    assert.equal(st.code, 14);
  }
  await setMode({ mode: '503', retry_after: null });
  const r = await post('traces', 'protobuf');
  assert.equal(r.status, 503);
  assert.equal(r.headers.get('retry-after'), null);
  const e = await lastReceived('traces');
  assert.equal(e.response_status, 503);
  assert.deepEqual(e.body, EXPECTED_TRACES); // still decoded and stored
  await setMode({ mode: 'ok' });
});

await test('429 mode returns 429 with Retry-After', async () => {
  await setMode({ mode: '429', retry_after: '2' });
  const r = await post('traces', 'json');
  assert.equal(r.status, 429);
  assert.equal(r.headers.get('retry-after'), '2');
  await setMode({ mode: 'ok', retry_after: null });
});

await test('400 mode returns 400 with a decodable Status', async () => {
  await setMode({ mode: '400' });
  for (const format of ['protobuf', 'json']) {
    const r = await post('traces', format);
    assert.equal(r.status, 400);
    assert.equal(r.headers.get('content-type'), CT[format]);
    const st = decodeStatus(format, r.body);
    assert.equal(st.code, 3);
    assert.equal(st.message, 'test bad request');
  }
  await setMode({ mode: 'ok' });
});

await test('partial mode returns a decodable partial success', async () => {
  await setMode({ mode: 'partial' });
  for (const signal of ['metrics', 'traces']) {
    for (const format of ['protobuf', 'json']) {
      const r = await post(signal, format, { gzip: true });
      assert.equal(r.status, 200);
      assert.ok(r.body.length > 0);
      const field = signal === 'metrics' ? 'rejectedDataPoints' : 'rejectedSpans';
      assert.deepEqual(decodeResponse(signal, format, r.body),
        { partialSuccess: { [field]: '1', errorMessage: 'test rejection' } });
      if (format === 'json') {
        assert.deepEqual(JSON.parse(r.body), { partialSuccess: { [field]: '1', errorMessage: 'test rejection' } });
      }
    }
  }
  await setMode({ mode: 'ok' });
});

await test('slow mode delays the response', async () => {
  await setMode({ mode: 'slow', slow_ms: 300 });
  const t0 = Date.now();
  const r = await post('metrics', 'protobuf');
  assert.equal(r.status, 200);
  assert.ok(Date.now() - t0 >= 280, `took ${Date.now() - t0} ms`);
  await setMode({ mode: 'ok' });
});

await test('mode with count applies to N requests then reverts to ok', async () => {
  await setMode({ mode: '503', count: 2 });
  const codes = [];
  for (let i = 0; i < 3; i++) codes.push((await post('metrics', 'protobuf')).status);
  assert.deepEqual(codes, [503, 503, 200]);
  assert.equal((await getJson('/mode')).mode, 'ok');
});

await test('decode errors give 400 and are counted', async () => {
  await reset();
  const bad = [
    ['metrics', 'protobuf', Buffer.from([0x0a, 0xff, 0xff, 0x03, 0x01])], // length past end
    ['metrics', 'json', Buffer.from('{"resourceMetrics": [')],
    ['traces', 'json', Buffer.from(JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: 'zz' }] }] }] }))],
    ['traces', 'json', Buffer.from(JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: [{ spanId: 'abcd' }] }] }] }))],
    ['traces', 'json', Buffer.from(JSON.stringify({ resourceSpans: {} }))],
  ];
  for (const [signal, format, data] of bad) {
    const r = await post(signal, format, { data });
    assert.equal(r.status, 400, `${signal} ${format} ${data}`);
  }
  const gz = await post('metrics', 'protobuf', { data: Buffer.from('not gzip'), headers: { 'content-encoding': 'gzip' } });
  assert.equal(gz.status, 400);
  const st = await getJson('/stats');
  assert.equal(st.decode_errors, 6);
  assert.equal(st.last_decode_errors.length, 6);
  assert.equal(st.responses['400'], 6);
  assert.deepEqual(await getJson('/received'), []);
});

await test('unsupported content-type gives 415', async () => {
  const r = await post('metrics', 'json', { contentType: 'text/plain' });
  assert.equal(r.status, 415);
  assert.equal((await getJson('/stats')).unsupported_media_type, 1);
});

await test('/stats counts requests, items and statuses', async () => {
  await reset();
  await post('metrics', 'protobuf');
  await post('metrics', 'json', { gzip: true });
  await post('traces', 'protobuf');
  await setMode({ mode: '503', count: 1 });
  await post('traces', 'json');
  const st = await getJson('/stats');
  assert.deepEqual(st.requests, { metrics: 2, traces: 2, logs: 0 });
  assert.deepEqual(st.decoded, { metrics: 2, traces: 2, logs: 0 });
  assert.deepEqual(st.items.metrics, { resources: 2, metrics: 4, data_points: 4 });
  assert.deepEqual(st.items.traces, { resources: 2, spans: 2 });
  assert.deepEqual(st.responses, { 200: 3, 503: 1 });
  assert.equal(st.gzip, 1);
  assert.equal(st.decode_errors, 0);
  const all = await getJson('/received');
  assert.deepEqual(all.map((e) => e.signal), ['metrics', 'metrics', 'traces', 'traces']);
});

await test('one stderr log line per export request', async () => {
  await new Promise((r) => setTimeout(r, 100)); // let stderr drain
  const n = stderrLines.filter((l) => / POST \/v1\/(metrics|traces) /.test(l)).length;
  assert.equal(n, postCount);
});

// decode-file.mjs
await test('decode-file.mjs decodes protobuf, gzip and JSON files', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'otlp-selftest-'));
  try {
    for (const signal of ['metrics', 'traces']) {
      const pb = path.join(dir, `${signal}.pb`);
      const gz = path.join(dir, `${signal}.pb.gz`);
      const js = path.join(dir, `${signal}.json.gz`);
      fs.writeFileSync(pb, encodeProtobuf(signal, SAMPLE[signal]));
      fs.writeFileSync(gz, zlib.gzipSync(encodeProtobuf(signal, SAMPLE[signal])));
      fs.writeFileSync(js, zlib.gzipSync(JSON.stringify(SAMPLE[signal])));
      for (const a of [[pb], [gz, '--gzip'], [js, '--json', '--gzip']]) {
        const r = spawnSync(process.execPath, [path.join(HERE, 'decode-file.mjs'), signal, ...a, '--strict'], { encoding: 'utf8' });
        assert.equal(r.status, 0, r.stderr);
        assert.deepEqual(JSON.parse(r.stdout), EXPECTED[signal]);
      }
    }
    const bad = path.join(dir, 'bad.pb');
    fs.writeFileSync(bad, Buffer.from([0x0a, 0x7f]));
    const r = spawnSync(process.execPath, [path.join(HERE, 'decode-file.mjs'), 'metrics', bad], { encoding: 'utf8' });
    assert.equal(r.status, 1);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

await test('bounded store keeps the most recent entries', async () => {
  // A second receiver with a small bound.
  const c2 = spawn(process.execPath, [path.join(HERE, 'receiver.mjs'), '--port', '0', '--max-stored', '3', '--quiet'], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const p2 = await new Promise((resolve, reject) => {
      c2.stdout.once('data', (d) => resolve(JSON.parse(String(d).split('\n')[0]).port));
      c2.on('exit', (c) => reject(new Error(`exit ${c}`)));
    });
    for (let i = 0; i < 5; i++) {
      const t = structuredClone(SAMPLE_TRACES);
      t.resourceSpans[0].scopeSpans[0].spans[0].name = `s${i}`;
      const r = await fetch(`http://127.0.0.1:${p2}/v1/traces`, { method: 'POST', body: encodeProtobuf('traces', t), headers: { 'content-type': CT.protobuf } });
      assert.equal(r.status, 200);
    }
    const list = await (await fetch(`http://127.0.0.1:${p2}/received?signal=traces`)).json();
    assert.deepEqual(list.map((e) => e.body.resourceSpans[0].scopeSpans[0].spans[0].name), ['s2', 's3', 's4']);
  } finally {
    c2.kill();
  }
});

// The logs definitions in otlp-codec.mjs are ours (the generated root has
// none): check them against what the OpenTelemetry JS SDK itself serializes.
async function sdkLogRecords() {
  const { createRequire } = await import('node:module');
  const require = createRequire(import.meta.url);
  const api = require('@opentelemetry/api');
  const { LoggerProvider, SimpleLogRecordProcessor, InMemoryLogRecordExporter } = require('@opentelemetry/sdk-logs');
  const exp = new InMemoryLogRecordExporter();
  const provider = new LoggerProvider({ processors: [new SimpleLogRecordProcessor(exp)] });
  const ctx = api.trace.setSpanContext(api.context.active(), {
    traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: 1,
  });
  provider.getLogger('meshsight-selftest', '1.0').emit({
    severityNumber: 17, severityText: 'ERROR', body: 'GET /x 503', eventName: 'meshsight.access_log',
    attributes: { 'http.request.method': 'GET', 'http.response.status_code': 503, 'meshsight.duration_ms': 1.5 },
    context: ctx,
  });
  return exp.getFinishedLogRecords();
}

function checkSdkLog(bodyObj, sdkRec) {
  const rec = bodyObj.resourceLogs[0].scopeLogs[0].logRecords[0];
  const [sec, ns] = sdkRec.hrTime;
  assert.equal(bodyObj.resourceLogs[0].scopeLogs[0].scope.name, 'meshsight-selftest');
  assert.equal(rec.timeUnixNano, String(BigInt(sec) * 1000000000n + BigInt(ns)));
  assert.equal(rec.severityNumber, 17);
  assert.equal(rec.severityText, 'ERROR');
  assert.equal(rec.body.stringValue, 'GET /x 503');
  assert.equal(rec.eventName, 'meshsight.access_log');
  assert.equal(rec.traceId, '0af7651916cd43dd8448eb211c80319c');
  assert.equal(rec.spanId, 'b7ad6b7169203331');
  assert.equal(rec.flags, 1);
  assert.notEqual(rec.observedTimeUnixNano, '0');
  const attrs = Object.fromEntries(rec.attributes.map((kv) => [kv.key, kv.value]));
  assert.equal(attrs['http.request.method'].stringValue, 'GET');
  assert.equal(attrs['http.response.status_code'].intValue, '503');
  assert.equal(attrs['meshsight.duration_ms'].doubleValue, 1.5);
}

await test('logs definitions decode the OpenTelemetry JS SDK\'s own logs bodies (protobuf, JSON)', async () => {
  const { createRequire } = await import('node:module');
  const require = createRequire(import.meta.url);
  const { ProtobufLogsSerializer, JsonLogsSerializer } = require('@opentelemetry/otlp-transformer');
  const records = await sdkLogRecords();
  for (const [format, ser] of [['protobuf', ProtobufLogsSerializer], ['json', JsonLogsSerializer]]) {
    await reset();
    const r = await fetch(`${BASE}/v1/logs`, { method: 'POST', body: Buffer.from(ser.serializeRequest(records)), headers: { 'content-type': CT[format] } });
    assert.equal(r.status, 200, format);
    const e = await lastReceived('logs');
    assert.deepEqual(e.json_warnings, [], format);
    checkSdkLog(e.body, records[0]);
  }
});

clearTimeout(hardStop);
child.kill();
if (failed) console.log(`--- receiver stderr (last 30 lines) ---\n${stderrLines.slice(-30).join('\n')}`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
