#!/usr/bin/env bash
# PostgreSQL claim benchmark (make bench → bench/run.sh → here):
#   bash bench/pg/run.sh <build dir>
# On a throw-away cluster (scripts/pg_test_cluster.sh; fsync and synchronous_commit off, so
# both sides measure locking and round trips, not the disk), for 1, 2 and 4 workers:
#   ingestd  claim_bench: threads looping Store::ClaimNext + Store::CommitStage (trivial
#            stage: complete, done, one event) through the connection pool
#   raw SQL  pgbench -M prepared running claim.sql (claim by SKIP LOCKED, mark done)
# each on a fresh database seeded with BENCH_PG_JOBS (6000) queued jobs, alternating, best
# of BENCH_PG_REPEAT (3) runs each (a shared machine is noisy). Target: ingestd at least 50%
# of raw.
set -euo pipefail

BUILD=$(cd "${1:?usage: bench/pg/run.sh <build dir>}" && pwd)
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BENCH=$BUILD/bench/pg/claim_bench
JOBS=${BENCH_PG_JOBS:-6000}
REPEAT=${BENCH_PG_REPEAT:-3}
PGBENCH=$(command -v pgbench || echo /usr/lib/postgresql/15/bin/pgbench)
[ -x "$BENCH" ] || { echo "bench/pg: missing $BENCH" >&2; exit 1; }
[ -x "$PGBENCH" ] || { echo "bench/pg: pgbench is not installed (make deps)" >&2; exit 1; }

STATE=$(mktemp -d "$BUILD/bench-pg.XXXXXX")
trap '"$ROOT/scripts/pg_test_cluster.sh" stop "$STATE"; rm -rf "$STATE"' EXIT
URL=$("$ROOT/scripts/pg_test_cluster.sh" start "$STATE")
db_url() { sed "s|/postgres?|/$1?|" <<<"$URL"; }
createdb_() { psql -q "$URL" -c "CREATE DATABASE $1" >/dev/null; }

echo "==> PostgreSQL claim-and-complete: $JOBS jobs per run, cluster in $(sed 's|.*host=||' <<<"$URL")"
declare -A OURS RAW
best() { [ "${2:-0}" -gt "${1:-0}" ] && echo "$2" || echo "${1:-0}"; }
for W in 1 2 4; do
  for R in $(seq 1 "$REPEAT"); do
    createdb_ ours_${W}_$R
    LINE=$("$BENCH" --url "$(db_url ours_${W}_$R)" --jobs "$JOBS" --workers "$W" 2>/dev/null)
    echo "$LINE"
    OURS[$W]=$(best "${OURS[$W]:-0}" "$(sed -n 's/.*per_s=\([0-9]*\).*/\1/p' <<<"$LINE")")

    createdb_ raw_${W}_$R
    "$BENCH" --url "$(db_url raw_${W}_$R)" --jobs $((JOBS + JOBS / 10)) --seed-only 2>/dev/null
    OUT=$("$PGBENCH" -n -M prepared -f "$ROOT/bench/pg/claim.sql" -c "$W" -j "$W" \
      -t $((JOBS / W)) "$(db_url raw_${W}_$R)" 2>&1)
    TPS=$(sed -n 's/^tps = \([0-9]*\).*/\1/p' <<<"$OUT" | head -1)
    echo "PGBENCH workers=$W per_s=$TPS"
    RAW[$W]=$(best "${RAW[$W]:-0}" "$TPS")
  done
done

echo
echo "PostgreSQL claim-and-complete throughput ($(nproc) cores, jobs/s, trivial stages, best of $REPEAT)"
printf '%-8s %12s %12s %8s %8s\n' workers ingestd "raw SQL" ratio target
for W in 1 2 4; do
  awk -v w="$W" -v o="${OURS[$W]}" -v r="${RAW[$W]}" 'BEGIN {
    ratio = (r > 0) ? o / r : 0
    printf "%-8s %12d %12d %7.0f%% %8s\n", w, o, r, ratio * 100, (ratio >= 0.5) ? "met" : "MISSED" }'
done
