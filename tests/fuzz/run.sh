#!/usr/bin/env bash
# run.sh BUILD_DIR SECONDS [TARGET...]: runs each fuzz target (all by default) for SECONDS,
# one at a time, from its checked-in seeds (tests/fuzz/corpus/<t>, read only) plus a working
# corpus in BUILD_DIR/fuzz-corpus/<t> that keeps what earlier runs found. A crash, leak or
# timeout is saved under tests/fuzz/crashers/<t>/; then the next target runs. Target `pdf` is
# fuzz_pdf, the seeded mutator over real PDFs (the r-doc-pdf manuals, FUZZ_PDF_SEEDS to
# override, and the PDF fixtures) that runs the sandboxed helper; its findings are also copied
# to corpus/pdf/ for make test, and FUZZ_SEED fixes its random seed. Prints a table from
# libFuzzer's final stats (fuzz_pdf's stat:: line); exits 1 if any target failed.
set -u
build=$1 secs=$2
shift 2
here=$(cd "$(dirname "$0")" && pwd)
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=($(cd "$here/corpus" && ls))
failed=0
summary=()
for t in "${targets[@]}"; do
  exe=$build/tests/fuzz/fuzz_$t
  work=$build/fuzz-corpus/$t
  crash=$here/crashers/$t
  log=$build/fuzz-logs/$t.log
  mkdir -p "$work" "$crash" "$(dirname "$log")"
  before=$(ls "$crash" | wc -l)
  echo "==> fuzz $t for ${secs}s"
  if [ "$t" = pdf ]; then
    seeds=${FUZZ_PDF_SEEDS:-$(ls /usr/share/R/doc/manual/*.pdf 2>/dev/null | grep -v refman)}
    seed=${FUZZ_SEED:-$(date +%s)}
    echo "    seed $seed; seeds: $(echo $seeds | wc -w) manuals + corpus/pdf_pages + corpus/pdf"
    "$exe" fuzz "$secs" "$seed" "$work" "$crash" "$here/corpus/pdf" $seeds \
      "$here/corpus/pdf_pages" "$here/corpus/pdf" >"$log" 2>&1
    rc=$?
    read -r execs rate <<<"$(sed -n 's/^stat::pdf inputs \([0-9]*\) exec_per_sec \([0-9.]*\).*/\1 \2/p' "$log")"
    # No coverage from an uninstrumented helper: ft is the number of distinct outcomes.
    cov=- ft=$(sed -n 's/^stat::pdf .* outcomes \([0-9]*\).*/\1/p' "$log")
    corp=$(sed -n 's/^fuzz_pdf: \([0-9]*\) seeds.*/\1/p' "$log")
    grep -E '^finding: ' "$log"
  else
    "$exe" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
      -print_final_stats=1 -artifact_prefix="$crash/" "$work" "$here/corpus/$t" >"$log" 2>&1
    rc=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
    last=$(grep -E '^#[0-9]+' "$log" | tail -1)
    cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
    ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
    corp=$(sed -n 's/.* corp: \([0-9]*\).*/\1/p' <<<"$last")
  fi
  crashes=$(($(ls "$crash" | wc -l) - before))
  verdict=ok
  if [ $rc -ne 0 ]; then
    verdict="FAILED (exit $rc; see $log and $crash)"
    failed=1
    grep -E 'ERROR: |SUMMARY: |terminate called|what\(\)|UNTYPED' "$log" | head -5
  fi
  summary+=("$(printf '%-20s %10s %9s %6s %7s %6s %8s  %s' \
    "$t" "${execs:-?}" "${rate:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}" "$crashes" "$verdict")")
done
echo "==> fuzz summary (${secs}s per target; pdf: ft is its distinct outcomes, corp its seed PDFs, crashes its findings)"
printf '%-20s %10s %9s %6s %7s %6s %8s  %s\n' target execs exec/s cov ft corp crashes verdict
printf '%s\n' "${summary[@]}"
exit $failed
