#!/usr/bin/env node
// Print the normalized decoded JSON of a saved OTLP export request body.
//
//   node decode-file.mjs metrics|traces|logs FILE [--json] [--gzip] [--compact]
//
// FILE "-" reads stdin. --json: the file is OTLP/JSON (default: protobuf).
// --gzip: the file is gzip-compressed. Exit 0 on success, 1 on a decode error
// (message on stderr). Diagnostics (non-canonical protobuf encoding, OTLP/JSON
// warnings) go to stderr and do not change the exit code; --strict makes
// them fail (exit 3).
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { decodeBody, DecodeError, SIGNALS } from './otlp-codec.mjs';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    json: { type: 'boolean', default: false },
    gzip: { type: 'boolean', default: false },
    compact: { type: 'boolean', default: false },
    strict: { type: 'boolean', default: false },
  },
});
const [signal, file] = positionals;
if (!SIGNALS[signal] || !file) {
  process.stderr.write('usage: node decode-file.mjs metrics|traces|logs FILE [--json] [--gzip] [--compact] [--strict]\n');
  process.exit(2);
}
const buf = fs.readFileSync(file === '-' ? 0 : file);
try {
  const r = decodeBody(signal, buf, { format: values.json ? 'json' : 'protobuf', gzip: values.gzip });
  process.stdout.write(`${JSON.stringify(r.body, null, values.compact ? 0 : 2)}\n`);
  let bad = false;
  if (r.canonical === false) {
    bad = true;
    process.stderr.write('decode-file: note: protobuf bytes differ from the canonical re-encoding (fields out of order, unpacked repeated fields, unknown fields, or wrong wire types)\n');
  }
  for (const w of r.warnings) { bad = true; process.stderr.write(`decode-file: json warning: ${w}\n`); }
  process.exit(values.strict && bad ? 3 : 0);
} catch (e) {
  if (!(e instanceof DecodeError)) throw e;
  process.stderr.write(`decode-file: ${e.message}\n`);
  process.exit(1);
}
