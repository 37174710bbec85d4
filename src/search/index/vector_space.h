// VectorSpace: the vectors of one (user, model) space, searched by inner product. The
// search module keeps one per space and feeds it from the store's vector change feed.
// Vectors are L2-normalised by every embedder we run, so inner product ranks as cosine.
//
// Implementations: ExactSpace (a SIMD scan of every vector; exact), HnswSpace (an hnswlib
// graph; approximate, for spaces above INGESTD_HNSW_MIN_VECTORS). Not thread-safe: the owner
// serialises writers against readers (a shared_mutex per space).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

namespace ingestd::search {

// A space's own dense key for a vector (the owner maps chunk ids to keys).
using VectorKey = uint32_t;

struct VectorHit {
  VectorKey key = 0;
  float score = 0;  // inner product; higher is nearer
};

class VectorSpace {
 public:
  virtual ~VectorSpace() = default;
  virtual int dims() const = 0;
  // Stores or replaces the vector of `key` (values has dims() floats).
  virtual void Upsert(VectorKey key, const float* values) = 0;
  // Forgets `key`; a key never stored is a no-op.
  virtual void Remove(VectorKey key) = 0;
  // The k live vectors nearest `query` (dims() floats), best first; fewer when the space
  // holds fewer.
  virtual std::vector<VectorHit> Search(const float* query, int k) const = 0;
  // Calls fn(key, values) once per live vector, in no particular order (to move a space's
  // vectors into another kind of space).
  virtual void ForEach(const std::function<void(VectorKey, const float*)>& fn) const = 0;
  virtual size_t size() const = 0;          // live vectors
  virtual size_t memory_bytes() const = 0;  // what the space holds, for the index report
};

}  // namespace ingestd::search
