#!/usr/bin/env bash
# Local PDF parser benchmark: pages/s through the sandboxed ingestd-pdf helper (pdf_bench:
# spawn + limits + MuPDF + markdown + pipe, as a worker runs it) against poppler's pdftotext
# on the same r-doc-pdf corpus, side by side, one document at a time, in one run.
#   bash bench/pdf/run.sh <build dir>      (a build configured with -DINGESTD_BENCH=ON)
# BENCH_PDF_ROUNDS (default 3) repeats each document; BENCH_PDF_CORPUS overrides the files.
# Target: >= 2x pdftotext.
set -euo pipefail

BUILD=$(cd "${1:?usage: bench/pdf/run.sh <build dir>}" && pwd)
BENCH=$BUILD/src/pdf/pdf_bench
ROUNDS=${BENCH_PDF_ROUNDS:-3}
# fullrefman.pdf is a copy of refman.pdf.
CORPUS=${BENCH_PDF_CORPUS:-$(ls /usr/share/R/doc/manual/*.pdf 2>/dev/null | grep -v fullrefman || true)}

[ -x "$BENCH" ] || { echo "bench/pdf: missing $BENCH (configure with -DINGESTD_BENCH=ON)" >&2; exit 1; }
[ -n "$CORPUS" ] || { echo "bench/pdf: no corpus (install r-doc-pdf)" >&2; exit 1; }
command -v pdftotext >/dev/null || { echo "bench/pdf: pdftotext missing (poppler-utils)" >&2; exit 1; }

OURS=$(mktemp)
trap 'rm -f "$OURS"' EXIT
# shellcheck disable=SC2086
"$BENCH" --rounds "$ROUNDS" $CORPUS > "$OURS"

echo "== local PDF parser vs pdftotext (r-doc-pdf, $ROUNDS rounds, one document at a time)"
printf "%-14s %6s %12s %12s %8s\n" document pages "ingestd p/s" "pdftotext p/s" ratio
total_ns=0
while read -r file pages secs; do
  [ "$file" = TOTAL ] && continue
  start=$(date +%s%N)
  for _ in $(seq "$ROUNDS"); do pdftotext -enc UTF-8 "$file" /dev/null; done
  ns=$(($(date +%s%N) - start))
  total_ns=$((total_ns + ns))
  ref=$(awk -v n="$ns" 'BEGIN { print n / 1e9 }')
  awk -v f="$(basename "$file")" -v p="$pages" -v s="$secs" -v r="$ref" \
    'BEGIN { printf "%-14s %6d %12.0f %12.0f %7.2fx\n", f, p / 1, p / s, p / r, r / s }'
done < "$OURS"
read -r _ pages secs < <(grep '^TOTAL' "$OURS")
awk -v p="$pages" -v s="$secs" -v r="$(awk -v n="$total_ns" 'BEGIN { print n / 1e9 }')" \
  'BEGIN { printf "%-14s %6d %12.0f %12.0f %7.2fx  (target >= 2x)\n", "TOTAL", p, p / s, p / r, r / s }'
