#!/usr/bin/env bash
# Search over the API (issue 13 §5): every r-doc-pdf manual (R-*.pdf and refman.pdf, 8 PDFs)
# ingested by a fresh `ingestd serve` in its default local mode (the MuPDF parser and the
# local hashing embedder, SQLite), then http_search_bench: hybrid POST /api/v1/search from
# BENCH_SEARCH_CLIENTS (16) clients for BENCH_SEARCH_SECONDS (20) s (queries/s, p50/p90/p99;
# target p50 < 10 ms), and MRR@10 of keyword, vector and hybrid with each section heading as
# the query and the chunks of its section as the answers.
#
# usage: bench/search/http_run.sh BUILD_DIR   (a Release build configured with INGESTD_BENCH=ON)
set -euo pipefail
build=$(cd "${1:?usage: http_run.sh BUILD_DIR}" && pwd)
bin=$build/src/cli/ingestd
client=$(find "$build" -name http_search_bench -type f -perm -u+x | head -n1)
manuals=${BENCH_SEARCH_PDF_DIR:-/usr/share/doc/r-doc-pdf/manual}
[ -x "$bin" ] && [ -n "$client" ] || { echo "ingestd or http_search_bench not built in $build" >&2; exit 1; }
pdfs=("$manuals"/*.pdf)
[ -e "${pdfs[0]}" ] || { echo "no PDFs under $manuals (Debian r-doc-pdf)" >&2; exit 1; }

work=$(mktemp -d "$build/search-http.XXXXXX")
pid=""
stop() {
  [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  rm -rf "$work"
}
trap stop EXIT

export INGESTD_JWT_SECRET="bench-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
mkdir -p "$work/data"
: >"$work/stdout"
INGESTD_HOST=127.0.0.1 INGESTD_PORT=0 INGESTD_DATA_DIR="$work/data" INGESTD_LOG_LEVEL=warn \
  "$bin" serve >"$work/stdout" 2>"$work/stderr" &
pid=$!
port=""
for _ in $(seq 1 300); do
  port=$(sed -n 's|^ingestd listening on http://127\.0\.0\.1:\([0-9]*\).*|\1|p' "$work/stdout")
  [ -n "$port" ] && break
  kill -0 "$pid" 2>/dev/null || { tail -20 "$work/stderr" >&2; exit 1; }
  sleep 0.1
done
[ -n "$port" ] || { echo "ingestd did not start within 30 s" >&2; exit 1; }
token=$(INGESTD_DATA_DIR="$work/token" "$bin" token --user bench)

echo "==> search over the API: ${#pdfs[@]} PDFs from $manuals, local parser and embedder;" \
  "load average $(cut -d' ' -f1-3 /proc/loadavg)"
"$client" --url "http://127.0.0.1:$port" --token "$token" \
  --clients "${BENCH_SEARCH_CLIENTS:-16}" --seconds "${BENCH_SEARCH_SECONDS:-20}" "${pdfs[@]}"
