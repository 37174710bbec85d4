#!/usr/bin/env bash
# Router pick + reserve + settle overhead per call on SQLite; target < 20 µs.
#   bash bench/ledger/run.sh <build dir>   (bench/run.sh calls it)
set -euo pipefail
BUILD=$(cd "${1:?usage: bench/ledger/run.sh <build dir>}" && pwd)
BIN=$BUILD/bench/ledger/router_bench
[ -x "$BIN" ] || { echo "bench/ledger: missing $BIN" >&2; exit 1; }
WORK=$(mktemp -d "$BUILD/ledger-bench.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

OUT=$("$BIN" --calls "${BENCH_LEDGER_CALLS:-20000}" --dir "$WORK")
echo "$OUT"
field() { sed -n "s/^LEDGER $1 .*\b$2=\([^ ]*\).*/\1/p" <<<"$OUT"; }
MEAN=$(field router_reserve_settle mean_us)
VERDICT=$(awk -v m="$MEAN" 'BEGIN { print (m != "" && m < 20) ? "met" : "MISSED" }')
echo
echo "router + ledger overhead per paid call (SQLite, 5 limit windows, load: $(cut -d' ' -f1-3 /proc/loadavg))"
printf '%-48s %14s\n' "metric" "value"
printf '%-48s %14s\n' "router pick + reserve + settle mean (µs), < 20" "$MEAN ($VERDICT)"
printf '%-48s %14s\n' "router pick + reserve + settle p50 / p99 (µs)" \
  "$(field router_reserve_settle p50_us) / $(field router_reserve_settle p99_us)"
printf '%-48s %14s\n' "ledger reserve + settle mean (µs)" "$(field ledger_reserve_settle mean_us)"
printf '%-48s %14s\n' "router pick alone, mock mode, mean (µs)" "$(field router_pick_mock mean_us)"
