#!/usr/bin/env bash
# Embedding throughput of OpenAiEmbedder against the fake OpenAI server (50 ms added latency):
# requests sent vs the theoretical minimum, chunks/s, peak memory. Release build, own dir.
#   bench/clients/run.sh [chunks=100000] [latency_ms=50]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build="$root/build/clients-rel"
chunks=${1:-100000}
latency=${2:-50}
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" --target clients_embed_bench -j"${JOBS:-1}" >/dev/null
bin="$build/tests/clients/clients_embed_bench"
echo "== pipeline batches (2048 texts per Embed call, as EMBED_MODE=real runs), 4 in flight"
"$bin" "$chunks" "$latency" 2048 4
echo "== one Embed call for the whole set (packing bound), 4 in flight"
"$bin" "$chunks" "$latency" "$chunks" 4
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
