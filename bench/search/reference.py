#!/usr/bin/python3
"""The references for bench/search (issue 13 §5): Debian's python3-faiss IndexFlatIP and
python3-hnswlib, single thread, on the data file search_bench wrote, with its parameters.

  reference.py DATA OUT_DIR M EF_CONSTRUCTION EF_SEARCH[,EF_SEARCH...] [--no-hnsw]

Prints one JSON object per line: faiss exact search one query per call (as a service
answers) and the first 100 queries in one call (faiss's batched BLAS path), the top-10 agreement with
ingestd's exact scan (OUT_DIR/exact_top10.i32), and hnswlib's build time, queries/s and
recall@10 against faiss's exact top 10, at each EF_SEARCH (one graph, built once); then a
side-by-side table with ingestd's figures (OUT_DIR/ingestd.jsonl, search_bench's output).
"""
import json
import sys
import time

import faiss
import hnswlib
import numpy as np

K = 10
BATCH = 100


def read_data(path):
    with open(path, "rb") as f:
        if f.read(8) != b"IDXVEC01":
            sys.exit(f"reference.py: {path} is not a search_bench data file")
        base, queries, dims = np.frombuffer(f.read(12), dtype="<u4")
        vectors = np.fromfile(f, dtype="<f4", count=(base + queries) * dims)
    vectors = vectors.reshape(base + queries, dims)
    return vectors[:base], vectors[base:]


def recall(found, truth):
    return float(np.mean([len(set(f) & set(t)) / K for f, t in zip(found, truth)]))


def timed_queries(search, queries):
    """Runs search(one query as a 1×d array) per query; returns (ids, queries/s, p50 ms)."""
    ids, ms = [], []
    start = time.perf_counter()
    for q in queries:
        t = time.perf_counter()
        ids.append(search(q[None, :])[0])
        ms.append((time.perf_counter() - t) * 1e3)
    return np.array(ids), len(queries) / (time.perf_counter() - start), float(np.median(ms))


def main():
    data, out_dir = sys.argv[1], sys.argv[2]
    m, ef_construction = int(sys.argv[3]), int(sys.argv[4])
    ef_searches = [int(x) for x in sys.argv[5].split(",")]
    base, queries = read_data(data)
    faiss.omp_set_num_threads(1)

    flat = faiss.IndexFlatIP(base.shape[1])
    flat.add(base)
    ids, qps, p50 = timed_queries(lambda q: flat.search(q, K)[1], queries)
    # The batched path is one BLAS sgemm; Debian's default BLAS is the reference (netlib)
    # one, so the first BATCH queries are enough for its rate.
    start = time.perf_counter()
    _, batch_ids = flat.search(queries[:BATCH], K)
    batch_qps = BATCH / (time.perf_counter() - start)
    ours = np.fromfile(f"{out_dir}/exact_top10.i32", dtype="<i4").reshape(-1, K)
    rows = []
    faiss_row = {"reference": "faiss IndexFlatIP", "version": faiss.__version__, "threads": 1,
                 "queries_per_s": round(qps, 2), "p50_ms": round(p50, 3),
                 "batched_queries": BATCH, "batched_queries_per_s": round(batch_qps, 2),
                 "batched_equals_one_by_one": bool((batch_ids == ids[:BATCH]).all()),
                 "top10_agreement_with_ingestd": recall(ours, ids)}
    print(json.dumps(faiss_row), flush=True)
    if "--no-hnsw" in sys.argv[6:]:
        table(out_dir, faiss_row, rows)
        return

    graph = hnswlib.Index(space="ip", dim=base.shape[1])
    graph.init_index(max_elements=len(base), M=m, ef_construction=ef_construction,
                     random_seed=100)
    start = time.perf_counter()
    graph.add_items(base, np.arange(len(base)), num_threads=1)
    build_s = time.perf_counter() - start
    for ef in ef_searches:
        graph.set_ef(ef)
        found, qps, p50 = timed_queries(lambda q: graph.knn_query(q, k=K, num_threads=1)[0],
                                        queries)
        row = {"reference": "hnswlib", "m": m, "ef_construction": ef_construction,
               "ef_search": ef, "build_s": round(build_s, 1), "queries_per_s": round(qps, 2),
               "p50_ms": round(p50, 3), "recall_at_10": round(recall(found, ids), 4)}
        print(json.dumps(row), flush=True)
        rows.append(row)
    table(out_dir, faiss_row, rows)


def table(out_dir, faiss_row, hnsw_rows):
    exact, graphs = None, {}
    with open(f"{out_dir}/ingestd.jsonl") as f:
        for line in f:
            row = json.loads(line)
            if row.get("space") == "exact":
                exact = row
            elif row.get("space") == "hnsw":
                graphs[row["ef_search"]] = row
    print(f"\nvector search: {exact['vectors']} unit vectors x {exact['dims']} dims, "
          f"{exact['queries']} queries, top {K}, single thread, one query per call")
    print(f"{'':44} {'ingestd':>12} {'reference':>12}")
    ratio = exact["queries_per_s"] / faiss_row["queries_per_s"]
    print(f"{'exact q/s (' + exact['kernel'] + ') vs faiss IndexFlatIP':44} "
          f"{exact['queries_per_s']:>12.1f} {faiss_row['queries_per_s']:>12.1f}"
          f"   {ratio:.2f}x, target >= 1.0x: {'met' if ratio >= 1 else 'MISSED'}")
    print(f"{'  faiss, ' + str(BATCH) + ' queries in one call (BLAS)':44} {'':>12} "
          f"{faiss_row['batched_queries_per_s']:>12.1f}")
    print(f"{'  top-10 agreement with faiss':44} {faiss_row['top10_agreement_with_ingestd']:>12.4f}")
    if not graphs:
        return
    first = next(iter(graphs.values()))
    print(f"{'hnsw M/efC ' + str(first['m']) + '/' + str(first['ef_construction']) + ' vs hnswlib':44}")
    print(f"{'  build (s)':44} {first['build_s']:>12.1f} {hnsw_rows[0]['build_s']:>12.1f}")
    for theirs in hnsw_rows:
        graph = graphs.get(theirs["ef_search"])
        if not graph:
            continue
        print(f"{'  ef ' + str(theirs['ef_search']) + ': q/s':44} {graph['queries_per_s']:>12.1f} "
              f"{theirs['queries_per_s']:>12.1f}")
        print(f"{'  ef ' + str(theirs['ef_search']) + ': recall@10 vs exact, target >= 0.95':44} "
              f"{graph['recall_at_10']:>12.4f} {theirs['recall_at_10']:>12.4f}")


if __name__ == "__main__":
    main()
