#!/usr/bin/env bash
# Vector search benchmark (issue 13 §5): ingestd's exact scan vs faiss IndexFlatIP, and its
# HNSW graph vs hnswlib with the same M / ef_construction / ef_search, single thread, on one
# data file (100,000 unit vectors of 1536 dims and 1,000 queries, fixed seed, ~620 MB, written
# once under the build dir by search_bench).
#
# usage: bench/search/run.sh BUILD_DIR    (a Release build configured with INGESTD_BENCH=ON)
#   BENCH_HNSW_M (16), BENCH_HNSW_EF_CONSTRUCTION (200), BENCH_HNSW_EF_SEARCH (200,400,600,800:
#   a comma list, each searched on the one graph built)
#   BENCH_SEARCH_HNSW=0 skips the graphs (their builds take minutes on one core)
# Then http_run.sh: POST /api/v1/search over r-doc-pdf (latency, MRR@10).
set -euo pipefail
build=${1:?usage: run.sh BUILD_DIR}
here=$(cd "$(dirname "$0")" && pwd)

bench_bin=$(find "$build" -name search_bench -type f -perm -u+x | head -n1)
[ -n "$bench_bin" ] || { echo "search_bench not found under $build" >&2; exit 1; }
work="$(dirname "$bench_bin")"
data="$work/vectors_100k_1536.f32"
m=${BENCH_HNSW_M:-16}
efc=${BENCH_HNSW_EF_CONSTRUCTION:-200}
efs=${BENCH_HNSW_EF_SEARCH:-200,400,600,800}
hnsw_flag=()
[ "${BENCH_SEARCH_HNSW:-1}" = 0 ] && hnsw_flag=(--no-hnsw)

echo "==> vector search benchmark ($data; load average $(cut -d' ' -f1-3 /proc/loadavg))"
"$bench_bin" "$data" "$work" --m "$m" --ef-construction "$efc" --ef-search "$efs" \
  "${hnsw_flag[@]}" | tee "$work/ingestd.jsonl"
# Debian's python3 (python3-faiss, python3-hnswlib), not a python3 earlier on PATH.
reference_flag=()
[ "${BENCH_SEARCH_HNSW:-1}" = 0 ] && reference_flag=(--no-hnsw)
/usr/bin/python3 "$here/reference.py" "$data" "$work" "$m" "$efc" "$efs" "${reference_flag[@]}"
bash "$here/http_run.sh" "$build"
