#!/usr/bin/env node
// Compares ingestd's cl100k_base ids for a file with an npm reference tokenizer.
//
// usage: compare_reference.js TOKENIZE_IDS_BINARY INPUT [gpt-tokenizer|tiktoken]
// The input bytes are decoded the way ingestd reads them (UTF-8, ill-formed sequences as
// U+FFFD, a leading BOM kept); special-token strings are ordinary text on both sides.
'use strict';
const {execFileSync} = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const [tool, input, reference = 'gpt-tokenizer'] = process.argv.slice(2);
if (!tool || !input) {
  console.error('usage: compare_reference.js TOKENIZE_IDS INPUT [gpt-tokenizer|tiktoken]');
  process.exit(2);
}

function referenceEncoder(name) {
  if (name === 'gpt-tokenizer') {
    const gpt = require('gpt-tokenizer/cjs/encoding/cl100k_base');
    // encodeGenerator, not encode: encode() spreads each piece's ids into call arguments,
    // which overflows the stack for a piece of a few hundred thousand tokens.
    return (text) => {
      const ids = [];
      for (const piece of gpt.encodeGenerator(text, {disallowedSpecial: new Set()})) {
        for (const id of piece) ids.push(id);
      }
      return ids;
    };
  }
  if (name === 'tiktoken') {
    const enc = require('tiktoken').get_encoding('cl100k_base');
    return (text) => Array.from(enc.encode(text, [], []));
  }
  throw new Error(`unknown reference ${name}`);
}

const outFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ingestd-ids-')), 'ids.bin');
let t0 = Date.now();
execFileSync(tool, [input, outFile], {stdio: ['ignore', 'inherit', 'inherit']});
const ingestdMs = Date.now() - t0;
const buf = fs.readFileSync(outFile);
fs.rmSync(path.dirname(outFile), {recursive: true});
const ours = new Int32Array(buf.buffer, buf.byteOffset, buf.length / 4);

const text = new TextDecoder('utf-8', {ignoreBOM: true}).decode(fs.readFileSync(input));
t0 = Date.now();
const theirs = referenceEncoder(reference)(text);
const refMs = Date.now() - t0;

const n = Math.min(ours.length, theirs.length);
let i = 0;
while (i < n && ours[i] === theirs[i]) i++;
if (i === n && ours.length === theirs.length) {
  console.log(`${path.basename(input)}: ${ours.length} ids identical to ${reference} ` +
              `(ingestd ${ingestdMs} ms incl. start-up, ${reference} ${refMs} ms)`);
  console.log('1 passed, 0 failed');
  process.exit(0);
}
const show = (ids) => JSON.stringify(Array.from(ids.slice(Math.max(0, i - 5), i + 5)));
let at;
try {
  const gpt = require('gpt-tokenizer/cjs/encoding/cl100k_base');
  at = JSON.stringify(gpt.decode(Array.from(theirs.slice(Math.max(0, i - 10), i + 10))));
} catch (e) {
  at = '(undecodable)';
}
console.error(`${path.basename(input)}: MISMATCH at id ${i} (ingestd ${ours.length} ids, ` +
              `${reference} ${theirs.length})\n  ingestd:   ${show(ours)}\n  reference: ` +
              `${show(theirs)}\n  text near: ${at}`);
console.log('0 passed, 1 failed');
process.exit(1);
