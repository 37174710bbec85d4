#!/usr/bin/env node
// Single-thread cl100k_base throughput of the npm tokenizers (gpt-tokenizer, tiktoken's WASM
// build, js-tiktoken) on the same corpus as tokenizer_bench, with a check that each produced
// exactly ingestd's ids, then one table with ingestd's figures beside them.
//
// usage: js_bench.js CORPUS INGESTD_IDS INGESTD_RESULTS_JSONL [REPEATS]
'use strict';
const fs = require('fs');

const [corpus, idsFile, resultsFile, repeatsArg] = process.argv.slice(2);
const repeats = Number(repeatsArg || 3);
const text = new TextDecoder('utf-8', {ignoreBOM: true}).decode(fs.readFileSync(corpus));
const idsBuf = fs.readFileSync(idsFile);
const ours = new Int32Array(idsBuf.buffer, idsBuf.byteOffset, idsBuf.length / 4);
const ingestd = fs.readFileSync(resultsFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l));

const gpt = require('gpt-tokenizer/cjs/encoding/cl100k_base');
const tiktoken = require('tiktoken').get_encoding('cl100k_base');
const jsTiktoken = require('js-tiktoken').getEncoding('cl100k_base');
const impls = [
  ['gpt-tokenizer', (t) => gpt.encode(t, {disallowedSpecial: new Set()})],
  ['tiktoken (wasm)', (t) => tiktoken.encode(t, [], [])],
  ['js-tiktoken', (t) => jsTiktoken.encode(t, [], [])],
];

function sameIds(ids) {
  if (ids.length !== ours.length) return false;
  for (let i = 0; i < ids.length; i++) if (ids[i] !== ours[i]) return false;
  return true;
}

const rows = [];
const enc = ingestd.find((r) => r.op === 'encode');
rows.push({impl: 'ingestd (C++)', tokens: enc.tokens, seconds: enc.seconds, cpu: enc.cpu_seconds,
           same: 'reference'});
for (const [name, encode] of impls) {
  let best = {seconds: Infinity, cpu: Infinity};
  let ids;
  for (let r = 0; r < repeats; r++) {
    const t0 = process.hrtime.bigint();
    const c0 = process.cpuUsage();
    ids = encode(text);
    const c = process.cpuUsage(c0);
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    if (seconds < best.seconds) best = {seconds, cpu: (c.user + c.system) / 1e6};
  }
  rows.push({impl: name, tokens: ids.length, ...best, same: sameIds(ids) ? 'yes' : 'NO'});
}

const fastestJs = Math.max(...rows.slice(1).map((r) => r.tokens / r.seconds));
const fastestJsCpu = Math.max(...rows.slice(1).map((r) => r.tokens / r.cpu));
console.log(`\ncl100k_base, single thread, ${(Buffer.byteLength(text) / 1e6).toFixed(1)} MB ` +
            `English corpus (best of ${repeats})`);
console.log('M tokens/s by wall time, and by the process CPU time of the same run (steadier when');
console.log('the machine is shared; V8 background threads count against the JS rows).');
console.log('impl              tokens     wall s  M tok/s  ingestd is   CPU s  M tok/s(CPU)  same ids');
const pad = (v, n, d = 2) => v.toFixed(d).padStart(n);
for (const r of rows) {
  const rate = r.tokens / r.seconds / 1e6;
  console.log(`${r.impl.padEnd(17)} ${String(r.tokens).padStart(9)}  ${pad(r.seconds, 6, 3)}  ` +
              `${pad(rate, 7)}  ${pad(enc.tokens / enc.seconds / 1e6 / rate, 9)}x  ` +
              `${pad(r.cpu, 6, 3)}  ${pad(r.tokens / r.cpu / 1e6, 12)}  ${r.same}`);
}
const count = ingestd.find((r) => r.op === 'count');
const chunk = ingestd.find((r) => r.op === 'chunk');
console.log(`ingestd Count(): ${count.mtokens_per_s.toFixed(2)} M tokens/s`);
console.log(`ingestd / fastest JS peer: ${(enc.tokens / enc.seconds / fastestJs).toFixed(2)}x by wall ` +
            `time, ${(enc.tokens / enc.cpu_seconds / fastestJsCpu).toFixed(2)}x by CPU time (target >= 5x)`);
console.log(`chunker ${chunk.chunker}: ${chunk.mb_per_s.toFixed(2)} MB/s by wall time, ` +
            `${(chunk.bytes / chunk.cpu_seconds / 1e6).toFixed(2)} MB/s by CPU time (${chunk.chunks} chunks)`);
const mismatched = rows.filter((r) => r.same === 'NO');
if (mismatched.length) {
  console.error(`ids differ from ingestd: ${mismatched.map((r) => r.impl).join(', ')}`);
  process.exit(1);
}
