#!/usr/bin/env node
// Writes the tokenizer stress files (deterministic: a fixed-seed PRNG), all valid UTF-8:
//   OUT_DIR/stress.txt         CJK, emoji ZWJ sequences, combining marks, contractions in every
//                              case, CRLF, NBSP and other Unicode spaces, long digit and
//                              whitespace runs, a 1 MB "word" without whitespace, Unicode soup
//   OUT_DIR/stress_piece64k.txt one 64 KB \p{L}+ run: a single pre-tokenizer piece
//   OUT_DIR/stress_piece1m.txt  one 1 MB \p{L}+ run (the reference needs minutes: slow test)
//   OUT_DIR/stress_spaces.txt  U+0085, U+180E and U+FEFF among other spaces: gpt-tokenizer
//                              differs from tiktoken there (JavaScript's \s; a BOM lookup bug),
//                              so this file is compared with tiktoken only
// Only characters assigned by Unicode 14 (PCRE2 10.42's tables) are used.
//
// usage: make_stress.js OUT_DIR
'use strict';
const fs = require('fs');
const path = require('path');

const outDir = process.argv[2];
if (!outDir) {
  console.error('usage: make_stress.js OUT_DIR');
  process.exit(2);
}

let seed = 0x9e3779b9;
function rand(n) {  // xorshift32
  seed ^= seed << 13; seed >>>= 0;
  seed ^= seed >>> 17;
  seed ^= seed << 5; seed >>>= 0;
  return seed % n;
}
const pick = (arr) => arr[rand(arr.length)];
const fromRange = (lo, hi) => String.fromCodePoint(lo + rand(hi - lo + 1));

const words = ('the quick brown fox jumps over lazy dog tokenizer byte pair encoding ' +
               'international naïve café résumé Straße über').split(' ');
const cjk = ['中文字符测试', '日本語のテキストです。', '한국어 텍스트입니다', '漢字かなカナ交じり文',
             '我们的模型可以处理任何语言。', 'ＡＢＣ全角英数字１２３'];
const emoji = ['😀', '👨‍👩‍👧‍👦', '👩🏽‍💻', '🏳️‍🌈', '🇩🇪🇯🇵', '1️⃣', '❤️‍🔥', '🧑🏿‍🤝‍🧑🏻',
               '👍🏼', '🫠', '☺︎', '🐕‍🦺'];
const combining = ['e\u0301', 'a\u0300\u0316\u0317', 'n\u0303', 'Z\u0351\u0352\u0357\u035b',
                   'क्षि', 'நீ', 'ếệ', '\u0301\u0301x', 'ǅ', 'ﬁ'];
const spaces = ['\u00a0', '\u1680', '\u2000', '\u2001', '\u2002', '\u2003', '\u2004', '\u2005',
                '\u2006', '\u2007', '\u2008', '\u2009', '\u200a', '\u2028', '\u2029', '\u202f',
                '\u205f', '\u3000', '\u180e', '\u200b', '\t', '\v', '\f', ' '];
const suffixes = ['s', 't', 're', 've', 'm', 'll', 'd'];
const allCases = (s) => {
  let out = [''];
  for (const ch of s) out = out.flatMap((p) => [p + ch.toLowerCase(), p + ch.toUpperCase()]);
  return out;
};

const parts = [];
// Contractions in every case, after letters, digits, punctuation, spaces and at line starts.
for (const suf of suffixes) {
  for (const c of allCases(suf)) {
    for (const before of ['it', 'X', '9', ')', ' ', '\n', '']) {
      for (const after of ['', ' ', 'x', 'ſ', '!', '\n', 'é']) parts.push(`${before}'${c}${after}`);
    }
  }
}
parts.push("'ſ 'ſa it'ſ I'M'S'LL''s'''S don’t won’t");
// CRLF, lone CR, mixed line breaks with spaces.
for (let i = 0; i < 2000; i++) {
  parts.push(pick(words) + pick(['\r\n', '\r', '\n', '\r\n\r\n', ' \r\n', '\r\n ', '\n\r',
                                 '  \r\n  ', '\t\r\n']));
}
// Unicode spaces in every position.
for (let i = 0; i < 5000; i++) {
  parts.push(pick(['', pick(words)]) + pick(spaces) + pick(spaces).repeat(rand(3)) +
             pick(['', pick(words), '1', '!', '\n']));
}
parts.push(cjk.join(''), cjk.join(' '));
for (let i = 0; i < 3000; i++) {
  parts.push(pick([fromRange(0x4e00, 0x9fa5), fromRange(0x3041, 0x3096), fromRange(0x30a1, 0x30fa),
                   fromRange(0xac00, 0xd7a3), pick(cjk)]));
  if (rand(8) === 0) parts.push(pick([' ', '。', '、', '\n']));
}
for (let i = 0; i < 3000; i++) parts.push(pick(emoji) + pick(['', '', ' ', pick(words)]));
for (let i = 0; i < 3000; i++) parts.push(pick(combining) + pick(['', ' ', pick(words)]));
// Long digit runs, in several scripts.
parts.push('1234567890'.repeat(10000), ' ', '0'.repeat(1001), '\n');
parts.push('٠١٢٣٤٥٦٧٨٩'.repeat(300), ' ', '０１２３４５６７８９'.repeat(300), ' ', '²³¹¼½¾'.repeat(100));
for (let i = 0; i < 2000; i++) parts.push(String(rand(1e9)) + pick(['', ' ', '.', ',', 'x']));
// Long whitespace runs.
parts.push('x', ' '.repeat(100000), 'y', '\t'.repeat(50000), 'z', '\n'.repeat(20000), 'w');
parts.push(' \n'.repeat(20000), '\u3000'.repeat(5000), '\u00a0 '.repeat(5000), '.');
// Unicode soup from long-established blocks.
const blocks = [[0x20, 0x7e], [0xa1, 0x24f], [0x370, 0x3ff], [0x400, 0x4ff], [0x5d0, 0x5ea],
                [0x621, 0x64a], [0x900, 0x97f], [0xe01, 0xe5b], [0x2000, 0x206f], [0x2190, 0x22ff],
                [0x2500, 0x257f], [0x1f300, 0x1f5ff], [0x1f600, 0x1f64f]];
for (let i = 0; i < 100000; i++) {
  const [lo, hi] = pick(blocks);
  const cp = lo + rand(hi - lo + 1);
  if (cp === 0xfeff || cp === 0x85) continue;
  parts.push(String.fromCodePoint(cp));
}
// A 1 MB "word": no whitespace, but letters, digits, punctuation, CJK and emoji mixed.
let word = '';
while (word.length < (1 << 20)) {
  word += pick([pick(words), String(rand(100000)), pick(['-', '_', '/', '.', '==', '%20', '::']),
                pick(cjk).replace(/ /g, ''), pick(emoji), pick(combining)]);
}
parts.push('\n', word, '\n');
// Ends in whitespace (\s+$ handling).
parts.push('end  \n  ');

fs.writeFileSync(path.join(outDir, 'stress.txt'), parts.join(''));

// Counts bytes as it goes: measuring the growing string each step made this quadratic (minutes).
function letterRun(bytes) {
  const letterWords = words.filter((w) => /^\p{L}+$/u.test(w));
  const pieces = [];
  for (let n = 0; n < bytes;) {
    const piece = pick(letterWords) + pick(['', 'é', 'ß', 'ø']);
    pieces.push(piece);
    n += Buffer.byteLength(piece);
  }
  return pieces.join('');
}
fs.writeFileSync(path.join(outDir, 'stress_piece64k.txt'), letterRun(64 * 1024));
fs.writeFileSync(path.join(outDir, 'stress_piece1m.txt'), letterRun(1 << 20));
const odd = ['\ufeff', '\u0085', '\u180e'];
const spaced = [];
for (let i = 0; i < 20000; i++) {
  spaced.push(pick(['', pick(words)]), pick(odd), pick([...odd, ...spaces]).repeat(rand(3)),
              pick(['', ' ', pick(words), '1', '!', '\n']));
}
fs.writeFileSync(path.join(outDir, 'stress_spaces.txt'), '\ufeff' + spaced.join(''));
for (const f of ['stress.txt', 'stress_piece64k.txt', 'stress_piece1m.txt', 'stress_spaces.txt']) {
  console.log(`make_stress: ${f} ${fs.statSync(path.join(outDir, f)).size} bytes`);
}
