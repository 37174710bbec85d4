#!/usr/bin/env bash
# make bench: runs the service benchmarks against a Release build and prints a table.
#   bash bench/run.sh <build dir>
# 1. Upload acceptance: wrk, BENCH_CONNECTIONS (32) concurrent clients posting ~140 KB real
#    PDFs (unique bytes each) to POST /api/v1/documents for BENCH_DURATION_S (10) seconds,
#    twice: with the pipeline workers running (they compete for the cores and the disk) and
#    with INGESTD_WORKERS=0 (acceptance alone). Target: p99 < 20 ms.
# 2. End to end: e2e_bench uploads BENCH_E2E_DOCS (200) PDFs to a fresh server and times them
#    until every job is complete (mock parser and embedder, INGESTD_WORKERS workers).
# Each phase starts its own server (loopback, free port, temporary data dir) and stops it.
# Then runs every bench/*/run.sh (the other benchmarks).
set -euo pipefail

BUILD=$(cd "${1:?usage: bench/run.sh <build dir>}" && pwd)
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=$BUILD/src/cli/ingestd
E2E=$BUILD/bench/e2e_bench
PDF=${BENCH_PDF:-/usr/share/doc/shared-mime-info/shared-mime-info-spec.pdf}
DURATION=${BENCH_DURATION_S:-10}
CONNECTIONS=${BENCH_CONNECTIONS:-32}
DOCS=${BENCH_E2E_DOCS:-200}
WORKERS=${INGESTD_WORKERS:-2}

for f in "$BIN" "$E2E" "$PDF"; do
  [ -e "$f" ] || { echo "bench: missing $f" >&2; exit 1; }
done
command -v wrk >/dev/null || { echo "bench: wrk is not installed (make deps)" >&2; exit 1; }

WORK=$(mktemp -d "$BUILD/bench-run.XXXXXX")
SERVER_PID=""
PORT=""

stop_server() {
  [ -n "$SERVER_PID" ] || return 0
  kill -TERM "$SERVER_PID" 2>/dev/null || true
  for _ in $(seq 1 150); do  # up to 15 s for a graceful exit
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=""
}
trap 'stop_server; rm -rf "$WORK"' EXIT

# The JWT secret only protects this throw-away loopback server.
export INGESTD_JWT_SECRET="bench-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"

start_server() {  # $1: name of the phase (its own data dir), $2: pipeline workers
  local dir=$WORK/$1
  mkdir -p "$dir/data"
  INGESTD_HOST=127.0.0.1 INGESTD_PORT=0 INGESTD_DATA_DIR="$dir/data" INGESTD_LOG_LEVEL=warn \
    INGESTD_WORKERS="$2" SERVICE_MODE=mock "$BIN" serve >"$dir/stdout" 2>"$dir/stderr" &
  SERVER_PID=$!
  for _ in $(seq 1 300); do  # up to 30 s
    PORT=$(sed -n 's|^ingestd listening on http://127\.0\.0\.1:\([0-9]*\).*|\1|p' "$dir/stdout")
    [ -n "$PORT" ] && return 0
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
      echo "bench: server exited during start-up:" >&2
      tail -20 "$dir/stderr" >&2
      exit 1
    fi
    sleep 0.1
  done
  echo "bench: server did not start within 30 s" >&2
  exit 1
}

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
TOKEN=$(INGESTD_DATA_DIR="$WORK/token" "$BIN" token --user bench)
PDF_KB=$(( $(stat -c %s "$PDF") / 1024 ))

wrk_run() {  # $1: seconds, $2: run id
  BENCH_PDF="$PDF" BENCH_TOKEN="$TOKEN" BENCH_RUN="$2" \
    wrk -t2 -c"$CONNECTIONS" -d"$1s" --timeout 10s -s "$ROOT/bench/upload.lua" \
    "http://127.0.0.1:$PORT"
}
field() { sed -n "s/.*\b$1=\([^ ]*\).*/\1/p" <<<"$2"; }

upload_phase() {  # $1: pipeline workers; sets WRK_LINE to wrk's summary line
  echo "==> upload acceptance: $CONNECTIONS clients, ${DURATION}s, ${PDF_KB} KB PDF, $1 workers"
  start_server "upload-$1" "$1"
  wrk_run 2 "warmup-$1-$$" >/dev/null
  local out
  out=$(wrk_run "$DURATION" "run-$1-$$")
  echo "$out"
  stop_server
  WRK_LINE=$(grep '^WRK ' <<<"$out")
}
upload_phase "$WORKERS"
WRK_WORKERS_LINE=$WRK_LINE
upload_phase 0
WRK_ALONE_LINE=$WRK_LINE

echo "==> end to end: $DOCS documents, 4 upload clients, $WORKERS workers"
start_server e2e "$WORKERS"
E2E_LINE=$("$E2E" --url "http://127.0.0.1:$PORT" --token "$TOKEN" --pdf "$PDF" --docs "$DOCS" \
  --clients 4 --timeout-s 600) || { echo "bench: e2e run incomplete: $E2E_LINE" >&2; }
echo "$E2E_LINE"
stop_server

echo
echo "ingestd benchmarks ($(nproc) cores, Release, mock services, ${PDF_KB} KB PDF)"
echo "load average before the runs: $LOAD_BEFORE (other processes share these cores)"
printf '%-44s %14s\n' "metric" "value"
printf '%-44s %14s\n' "--------------------------------------------" "--------------"
verdict() { awk -v p="$1" 'BEGIN { print (p != "" && p < 20) ? "met" : "MISSED" }'; }
upload_rows() {  # $1: wrk summary line, $2: workers
  printf '%-44s %14s\n' "upload throughput, $2 workers (req/s)" "$(field rps "$1")"
  printf '%-44s %14s\n' "  p50 / p90 (ms)" "$(field p50_ms "$1") / $(field p90_ms "$1")"
  printf '%-44s %14s\n' "  p99 (ms), target < 20" "$(field p99_ms "$1") ($(verdict "$(field p99_ms "$1")"))"
  printf '%-44s %14s\n' "  requests (not 202 / socket errors)" \
    "$(field requests "$1") ($(field not_accepted "$1")/$(field socket_errors "$1"))"
}
upload_rows "$WRK_WORKERS_LINE" "$WORKERS"
upload_rows "$WRK_ALONE_LINE" 0
printf '%-44s %14s\n' "end to end documents/s ($DOCS docs)" "$(field docs_per_s "$E2E_LINE")"
printf '%-44s %14s\n' "end to end wall time (s)" "$(field total_s "$E2E_LINE")"
printf '%-44s %14s\n' "end to end done / deadletter" \
  "$(field done "$E2E_LINE") / $(field deadletter "$E2E_LINE")"

# The other benchmarks (tokenizer, pdf, pg, …) each bring their own run.sh.
for other in "$ROOT"/bench/*/run.sh; do
  [ -f "$other" ] || continue
  echo
  bash "$other" "$BUILD" || echo "bench: $other failed (exit $?)" >&2
done
