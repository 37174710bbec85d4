#!/usr/bin/env bash
# Tokenizer benchmark: ingestd's cl100k_base vs gpt-tokenizer, tiktoken (wasm) and js-tiktoken,
# single thread, on a 10 MB English corpus from Debian packages, with an ids-equal check; plus
# the markdown-tokens@1 chunker's MB/s.
#
# usage: bench/tokenizer/run.sh BUILD_DIR    (a Release build configured with INGESTD_BENCH=ON)
set -euo pipefail
build=${1:?usage: run.sh BUILD_DIR}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)

bench_bin=$(find "$build" -name tokenizer_bench -type f -perm -u+x | head -n1)
[ -n "$bench_bin" ] || { echo "tokenizer_bench not found under $build" >&2; exit 1; }
work="$(dirname "$bench_bin")"
corpus="$work/corpus_en_10mb.txt"
[ -s "$corpus" ] || "$root/tools/build_corpus.sh" "$corpus" 10485760

echo "==> tokenizer benchmark ($corpus)"
"$bench_bin" "$corpus" "$work/ingestd_ids.bin" 5 | tee "$work/ingestd_results.jsonl"
node "$here/js_bench.js" "$corpus" "$work/ingestd_ids.bin" "$work/ingestd_results.jsonl" 3
