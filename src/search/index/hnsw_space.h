// HnswSpace: an HNSW graph (hnswlib 0.6.2, Debian's libhnswlib-dev) over a space's vectors,
// searched by inner product; approximate, for spaces too large to scan (issue 13 §2: above
// INGESTD_HNSW_MIN_VECTORS). Distances are the negated inner products of dot.h, so a hit's
// score is the same inner product ExactSpace gives for that pair.
//
// Upsert of a stored key moves its point and repairs its links (hnswlib's update); Remove
// marks the point deleted: it stays in the graph as a waypoint and keeps its memory until the
// space is rebuilt, and an Upsert of that key brings it back. Search returns live points only.
// The graph grows by doubling its capacity. Concurrent Search calls are safe with each other,
// not with a writer (the VectorSpace contract).
#pragma once

#include <memory>

#include "core/status.h"
#include "search/index/vector_space.h"

namespace ingestd::search {

struct HnswOptions {
  // Links per point on the upper layers (2·m on the bottom one). More: better recall and
  // slower inserts, m·8 more bytes per vector. 2 … 1024.
  int m = 16;
  // Candidates kept while linking a new point. More: a better graph, slower inserts. ≥ 1.
  int ef_construction = 200;
  // Candidates kept while searching (at least k). More: better recall, slower queries. ≥ 1.
  // 600: the smallest of 200/400/600/800 reaching recall@10 ≥ 0.95 at M 16, ef_construction
  // 200 on bench/search's 100k × 1536 data (0.82 / 0.94 / 0.97 / …; README, Benchmarks).
  int ef_search = 600;

  // OK, or INVALID_ARGUMENT naming the field out of range (for the cli to refuse at start).
  Status Validate() const;
};

// A graph whose search breadth can change after it is built: one graph serves several
// ef_search values (bench/search sweeps them; a build takes minutes at 100k vectors).
class HnswGraphSpace : public VectorSpace {
 public:
  // ≥ 1. Like a write: not concurrently with Search.
  virtual void SetEfSearch(int ef_search) = 0;
};

// dims > 0, options valid.
std::unique_ptr<HnswGraphSpace> MakeHnswSpace(int dims, const HnswOptions& options);

// A new graph holding every live vector of `source` (any kind of space, e.g. an ExactSpace
// that has grown past the threshold), built in one pass; `source` is left as it was.
std::unique_ptr<HnswGraphSpace> MakeHnswSpaceFrom(const VectorSpace& source,
                                                  const HnswOptions& options);

}  // namespace ingestd::search
