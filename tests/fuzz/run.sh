#!/usr/bin/env bash
# run.sh BUILD_DIR SECONDS [TARGET...]: runs each fuzz target (all by default) for SECONDS,
# one at a time, from its checked-in seeds (tests/fuzz/corpus/<t>, read only) plus a working
# corpus in BUILD_DIR/fuzz-corpus/<t> that keeps what earlier runs found. A crash, leak or
# timeout is saved under tests/fuzz/crashers/<t>/; then the next target runs. Prints one line
# per target from libFuzzer's final stats; exits 1 if any target failed.
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
  echo "==> fuzz $t for ${secs}s"
  "$exe" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
    -print_final_stats=1 -artifact_prefix="$crash/" "$work" "$here/corpus/$t" >"$log" 2>&1
  rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
  last=$(grep -E '^#[0-9]+' "$log" | tail -1)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
  corp=$(sed -n 's/.* corp: \([0-9]*\).*/\1/p' <<<"$last")
  verdict=ok
  if [ $rc -ne 0 ]; then
    verdict="FAILED (exit $rc; see $log and $crash)"
    failed=1
    grep -E 'ERROR: |SUMMARY: |terminate called|what\(\)' "$log" | head -5
  fi
  summary+=("$(printf '%-20s %10s execs %8s exec/s  cov %6s  ft %6s  corp %5s  %s' \
    "$t" "${execs:-?}" "${rate:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}" "$verdict")")
done
echo "==> fuzz summary (${secs}s per target)"
printf '%s\n' "${summary[@]}"
exit $failed
