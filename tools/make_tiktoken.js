#!/usr/bin/env node
// Rebuilds the standard cl100k_base.tiktoken rank file ("<base64 token> <rank>\n" per line, in
// rank order) from npm tiktoken's compressed encoders/cl100k_base.json, and refuses to write it
// unless its SHA-256 is the expected one (so a changed npm package can never change token ids).
//
// usage: node tools/make_tiktoken.js <cl100k_base.json> <out.tiktoken> <expected-sha256-hex>
'use strict';
const crypto = require('crypto');
const fs = require('fs');

const [src, out, expected] = process.argv.slice(2);
if (!src || !out || !expected) {
  console.error('usage: make_tiktoken.js <cl100k_base.json> <out.tiktoken> <expected-sha256>');
  process.exit(2);
}

// Each line of bpe_ranks is "<marker> <first rank> <tok> <tok> ...": consecutive ranks from
// <first rank> on, tokens in base64 (the format js-tiktoken and tiktoken/lite read).
const ranks = [];
for (const line of JSON.parse(fs.readFileSync(src, 'utf8')).bpe_ranks.split('\n')) {
  if (!line) continue;
  const [, offsetStr, ...tokens] = line.split(' ');
  const offset = Number.parseInt(offsetStr, 10);
  tokens.forEach((tok, i) => ranks.push([offset + i, tok]));
}
ranks.sort((a, b) => a[0] - b[0]);
const text = ranks.map(([rank, tok]) => `${tok} ${rank}\n`).join('');
const sha = crypto.createHash('sha256').update(text).digest('hex');
if (sha !== expected) {
  console.error(`make_tiktoken: SHA-256 mismatch for ${src}: got ${sha}, want ${expected}`);
  process.exit(1);
}
fs.writeFileSync(out + '.tmp', text);
fs.renameSync(out + '.tmp', out);
console.log(`make_tiktoken: wrote ${ranks.length} ranks to ${out} (sha256 ${sha})`);
