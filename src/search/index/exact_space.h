// ExactSpace: every vector of a space in one contiguous float array, searched by scanning
// all of them with the SIMD inner product (dot.h) and keeping the k best in a bounded heap.
// Exact: the top k are the k highest inner products, ties broken by the smaller key, so the
// answer never depends on the order vectors were stored or removed in.
//
// Memory: dims·4 bytes per vector plus a key table; Remove moves the last vector into the
// freed slot (swap-remove), so the array stays dense and a scan reads nothing dead. The array
// keeps its capacity after removals (as std::vector does). A space made for sparse queries
// (few nonzero dims, as the local embedder's), when dims is a multiple of 8, keeps a second
// dims·4 bytes per vector: a dimension-major copy in blocks of 64 slots, which such a query
// scans contiguously instead of touching one cache line per nonzero dim in every row;
// memory_bytes counts both. Spaces of dense models (an API's embeddings) skip the copy: it
// would double their memory for a path their queries never take.
#pragma once

#include <memory>

#include "search/index/vector_space.h"

namespace ingestd::search {

// What the space's queries look like: kSparse adds the dimension-major copy.
enum class QueryDensity { kDense, kSparse };

// dims > 0.
std::unique_ptr<VectorSpace> MakeExactSpace(int dims, QueryDensity queries);

}  // namespace ingestd::search
