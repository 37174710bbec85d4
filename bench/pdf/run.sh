#!/usr/bin/env bash
# Local PDF parser benchmark: pages/s through the sandboxed ingestd-pdf helper (pdf_bench:
# spawn + limits + sandbox + MuPDF + markdown + pipe, as a worker runs it) against poppler's
# pdftotext on the same r-doc-pdf corpus, side by side, one document at a time, in one run.
#   bash bench/pdf/run.sh <build dir>      (a build configured with -DINGESTD_BENCH=ON)
# BENCH_PDF_ROUNDS (default 3) repeats each document; BENCH_PDF_CORPUS overrides the files.
# BENCH_PDF_SANDBOX: both (default: every round parses each document sandboxed and unsandboxed,
# and the table adds the unsandboxed rate and the sandbox's cost per document), on or off (only
# that one). Target: >= 2x pdftotext.
set -euo pipefail

BUILD=$(cd "${1:?usage: bench/pdf/run.sh <build dir>}" && pwd)
BENCH=$BUILD/src/pdf/pdf_bench
ROUNDS=${BENCH_PDF_ROUNDS:-3}
SANDBOX=${BENCH_PDF_SANDBOX:-both}
# fullrefman.pdf is a copy of refman.pdf.
CORPUS=${BENCH_PDF_CORPUS:-$(ls /usr/share/R/doc/manual/*.pdf 2>/dev/null | grep -v fullrefman || true)}

[ -x "$BENCH" ] || { echo "bench/pdf: missing $BENCH (configure with -DINGESTD_BENCH=ON)" >&2; exit 1; }
[ -n "$CORPUS" ] || { echo "bench/pdf: no corpus (install r-doc-pdf)" >&2; exit 1; }
command -v pdftotext >/dev/null || { echo "bench/pdf: pdftotext missing (poppler-utils)" >&2; exit 1; }
case $SANDBOX in on|off|both) ;; *) echo "bench/pdf: BENCH_PDF_SANDBOX is on, off or both" >&2; exit 1 ;; esac

OURS=$(mktemp)
trap 'rm -f "$OURS"' EXIT
# shellcheck disable=SC2086
"$BENCH" --rounds "$ROUNDS" --sandbox="$SANDBOX" $CORPUS > "$OURS"

# $1 file, $2 pages, $3 seconds (sandbox as chosen, or on), $4 seconds off and $5 median ms of
# (on - off) per document (both only), $6 pdftotext seconds
row() {
  awk -v f="$1" -v p="$2" -v s="$3" -v off="$4" -v d="$5" -v r="$6" -v n="$ROUNDS" 'BEGIN {
    if (off == "") { printf "%-14s %6d %12.0f %13.0f %7.2fx\n", f, p, p / s, p / r, r / s; exit }
    printf "%-14s %6d %13.0f %11.0f %11.1f %7.1f%% %13.0f %7.2fx\n", f, p, p / s, p / off, d,
      d * n / (off * 10), p / r, r / s }'
}

echo "== local PDF parser vs pdftotext (r-doc-pdf, $ROUNDS rounds, one document at a time, sandbox $SANDBOX)"
if [ "$SANDBOX" = both ]; then
  printf "%-14s %6s %13s %11s %11s %8s %13s %8s\n" document pages "sandboxed p/s" "no-sbx p/s" \
    "sbx ms/doc" "sbx %" "pdftotext p/s" ratio
else
  printf "%-14s %6s %12s %13s %8s\n" document pages "ingestd p/s" "pdftotext p/s" ratio
fi
total_ns=0
while read -r file pages secs secs_off diff_ms; do
  [ "$file" = TOTAL ] && continue
  start=$(date +%s%N)
  for _ in $(seq "$ROUNDS"); do pdftotext -enc UTF-8 "$file" /dev/null; done
  ns=$(($(date +%s%N) - start))
  total_ns=$((total_ns + ns))
  row "$(basename "$file")" "$pages" "$secs" "${secs_off:-}" "${diff_ms:-}" \
    "$(awk -v n="$ns" 'BEGIN { print n / 1e9 }')"
done < "$OURS"
read -r _ pages secs secs_off diff_ms < <(grep '^TOTAL' "$OURS")
docs=$(grep -vc '^TOTAL' "$OURS")
# In the TOTAL row, ms/doc is the median over every parse of every document.
ROUNDS=$((ROUNDS * docs)) row TOTAL "$pages" "$secs" "${secs_off:-}" "${diff_ms:-}" \
  "$(awk -v n="$total_ns" 'BEGIN { print n / 1e9 }')"
echo "(target: ratio >= 2x)"
[ "$SANDBOX" != both ] || echo "(sbx ms/doc: median per document of sandboxed minus unsandboxed" \
  "time; sbx %: that over the mean unsandboxed time)"
