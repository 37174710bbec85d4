#!/usr/bin/env bash
# The Batch API (issue 16 §2): the cost of embedding all of r-doc-pdf synchronously vs through
# the batcher, against the fake OpenAI, figures from the ledger.
#   bash bench/batch/run.sh <build dir>   (bench/run.sh calls it)
set -euo pipefail
BUILD=$(cd "${1:?usage: bench/batch/run.sh <build dir>}" && pwd)
BIN=$BUILD/bench/batch/batch_cost_bench
[ -x "$BIN" ] || { echo "bench/batch: missing $BIN" >&2; exit 1; }
# The 8 manuals of r-doc-pdf (fullrefman.pdf beside them elsewhere is refman.pdf again).
mapfile -t PDFS < <(ls "${BENCH_BATCH_PDF_DIR:-/usr/share/doc/r-doc-pdf/manual}"/*.pdf 2>/dev/null)
[ ${#PDFS[@]} -gt 0 ] || { echo "bench/batch: r-doc-pdf is not installed" >&2; exit 1; }
WORK=$(mktemp -d "$BUILD/batch-bench.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
LOAD=$(cut -d' ' -f1-3 /proc/loadavg)
OUT=$("$BIN" --ingestd "$BUILD/src/cli/ingestd" --dir "$WORK/run" "${PDFS[@]}")
echo "$OUT"
field() { sed -n "s/^BATCH_COST $1 .*\b$2=\([^ ]*\).*/\1/p" <<<"$OUT"; }
echo
echo "Batch API vs sync, all of r-doc-pdf (${#PDFS[@]} PDFs; SQLite, fake OpenAI, $(basename "$BUILD") build, load before: $LOAD)"
printf '%-44s %16s %16s\n' "metric (from the ledger)" "sync" "batch"
for m in cost_usd tokens batches chunks vectors seconds; do
  printf '%-44s %16s %16s\n' "$m" "$(field sync $m)" "$(field batch $m)"
done
printf '%-44s %16s\n' "batch / sync cost" "$(field ratio batch_over_sync)"
