#!/usr/bin/env bash
# Router pick + reserve + settle overhead per call on SQLite (target < 20 µs), and the same on
# PostgreSQL on a throw-away cluster (scripts/pg_test_cluster.sh: unix socket, fsync off, so
# it measures statements and round trips, not the disk; skipped when PostgreSQL is missing).
#   bash bench/ledger/run.sh <build dir>   (bench/run.sh calls it)
set -euo pipefail
BUILD=$(cd "${1:?usage: bench/ledger/run.sh <build dir>}" && pwd)
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=$BUILD/bench/ledger/router_bench
[ -x "$BIN" ] || { echo "bench/ledger: missing $BIN" >&2; exit 1; }
WORK=$(mktemp -d "$BUILD/ledger-bench.XXXXXX")
PG_ARGS=()
cleanup() {
  [ -f "$WORK/pg/url" ] && "$ROOT/scripts/pg_test_cluster.sh" stop "$WORK/pg" || true
  rm -rf "$WORK"
}
trap cleanup EXIT
if URL=$("$ROOT/scripts/pg_test_cluster.sh" start "$WORK/pg" 2>/dev/null); then
  psql -q "$URL" -c "CREATE DATABASE ledger_bench" >/dev/null
  PG_ARGS=(--pg-url "$(sed 's|/postgres?|/ledger_bench?|' <<<"$URL")")
fi

OUT=$("$BIN" --calls "${BENCH_LEDGER_CALLS:-20000}" --dir "$WORK" "${PG_ARGS[@]}")
echo "$OUT"
field() { sed -n "s/^LEDGER $1 .*\b$2=\([^ ]*\).*/\1/p" <<<"$OUT"; }
MEAN=$(field router_reserve_settle mean_us)
VERDICT=$(awk -v m="$MEAN" 'BEGIN { print (m != "" && m < 20) ? "met" : "MISSED" }')
echo
echo "router + ledger overhead per paid call (5 limit windows, load: $(cut -d' ' -f1-3 /proc/loadavg))"
printf '%-52s %18s\n' "metric" "value"
printf '%-52s %18s\n' "SQLite router pick + reserve + settle mean (µs), < 20" "$MEAN ($VERDICT)"
printf '%-52s %18s\n' "SQLite router pick + reserve + settle p50 / p99 (µs)" \
  "$(field router_reserve_settle p50_us) / $(field router_reserve_settle p99_us)"
printf '%-52s %18s\n' "SQLite ledger reserve + settle mean / p50 (µs)" \
  "$(field ledger_reserve_settle mean_us) / $(field ledger_reserve_settle p50_us)"
printf '%-52s %18s\n' "router pick alone, mock mode, mean (µs)" "$(field router_pick_mock mean_us)"
if [ ${#PG_ARGS[@]} -gt 0 ]; then
  printf '%-52s %18s\n' "PostgreSQL router pick + reserve + settle p50 / p99 (µs)" \
    "$(field pg_router_reserve_settle p50_us) / $(field pg_router_reserve_settle p99_us)"
  printf '%-52s %18s\n' "PostgreSQL ledger reserve + settle mean / p50 (µs)" \
    "$(field pg_ledger_reserve_settle mean_us) / $(field pg_ledger_reserve_settle p50_us)"
fi
