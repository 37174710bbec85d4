#!/usr/bin/env bash
# The embedding cache (issue 16 §1): tokens paid vs total over an edit-and-re-upload series of
# the r-doc-pdf manuals (each manual, then 10 versions each with one more paragraph edited),
# and the extra latency a cache lookup adds to the embed stage per 1,000 chunks.
#   bash bench/embed_cache/run.sh <build dir>   (bench/run.sh calls it)
set -euo pipefail
BUILD=$(cd "${1:?usage: bench/embed_cache/run.sh <build dir>}" && pwd)
BIN=$BUILD/bench/embed_cache/embed_cache_bench
[ -x "$BIN" ] || { echo "bench/embed_cache: missing $BIN" >&2; exit 1; }
MANUALS=(R-FAQ R-intro R-data R-admin R-lang R-ints R-exts)
PDFS=()
for m in "${MANUALS[@]}"; do
  f=/usr/share/R/doc/manual/$m.pdf
  [ -f "$f" ] && PDFS+=("$f")
done
[ ${#PDFS[@]} -gt 0 ] || { echo "bench/embed_cache: r-doc-pdf is not installed" >&2; exit 1; }
WORK=$(mktemp -d "$BUILD/embed-cache-bench.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
LOAD=$(cut -d' ' -f1-3 /proc/loadavg)
OUT=$("$BIN" --ingestd "$BUILD/src/cli/ingestd" --dir "$WORK/run" --edits "${BENCH_EDITS:-10}" \
  --repeats "${BENCH_REPEATS:-5}" "${PDFS[@]}")
echo "$OUT"
field() { sed -n "s/^EMBED_CACHE $1 .*\b$2=\([^ ]*\).*/\1/p" <<<"$OUT"; }
echo
echo "embedding cache (Release, SQLite, mock 1536-d vectors, batches of 2048, load before: $LOAD)"
printf '%-56s %18s\n' "metric" "value"
printf '%-56s %18s\n' "edit series: tokens paid / total (all manuals)" \
  "$(field series_all tokens_paid) / $(field series_all tokens_total)"
printf '%-56s %18s\n' "edit series: paid (%)" "$(field series_all paid_pct)"
printf '%-56s %18s\n' "embed stage ms per 1k chunks: off / miss / hit" \
  "$(field latency off_ms_per_1k) / $(field latency miss_ms_per_1k) / $(field latency hit_ms_per_1k)"
printf '%-56s %18s\n' "cache lookup extra ms per 1k chunks (miss - off)" \
  "$(field latency lookup_extra_ms_per_1k)"
