#include "search/index/exact_space.h"

#include <algorithm>
#include <cstring>
#include <new>
#include <unordered_map>

#include "search/index/dot.h"

namespace ingestd::search {
namespace {

// Rows scored per kernel call, one block of the dimension-major copy: small enough that the
// scores stay in L1, large enough that the per-call overhead vanishes.
constexpr size_t kBlockRows = kDimMajorRows;

// A query with at most dims / kSparseShare nonzero elements is scored by DotBlockSparse over
// the dimension-major copy: each nonzero reads kDimMajorRows contiguous floats per block,
// so it reads nnz / dims of what a full scan reads.
constexpr size_t kSparseShare = 32;

// Better-first order of hits: higher score, then smaller key.
bool Better(const VectorHit& a, const VectorHit& b) {
  return a.score > b.score || (a.score == b.score && a.key < b.key);
}

// Cache-line-aligned storage: with rows whose size is a multiple of 32 bytes no SIMD load of
// the scan straddles two cache lines (malloc alone aligns large blocks to 16 bytes).
template <typename T>
struct CacheLineAllocator {
  using value_type = T;
  static constexpr std::align_val_t kAlign{64};
  CacheLineAllocator() = default;
  template <typename U>
  CacheLineAllocator(const CacheLineAllocator<U>&) {}
  T* allocate(size_t n) { return static_cast<T*>(::operator new(n * sizeof(T), kAlign)); }
  void deallocate(T* p, size_t) { ::operator delete(p, kAlign); }
  bool operator==(const CacheLineAllocator&) const { return true; }
};

class ExactSpace final : public VectorSpace {
 public:
  ExactSpace(int dims, QueryDensity queries)
      : dims_(static_cast<size_t>(dims)),
        sparse_capable_(queries == QueryDensity::kSparse && dims_ % 8 == 0) {}

  int dims() const override { return static_cast<int>(dims_); }

  void Upsert(VectorKey key, const float* values) override {
    auto [it, inserted] = slot_of_.try_emplace(key, static_cast<uint32_t>(keys_.size()));
    if (inserted) {
      keys_.push_back(key);
      data_.resize(data_.size() + dims_);
      if (sparse_capable() && columns_.size() < keys_.size() * dims_) {
        columns_.resize(columns_.size() + kDimMajorRows * dims_);
      }
    }
    const size_t slot = it->second;
    std::memcpy(data_.data() + slot * dims_, values, dims_ * sizeof(float));
    WriteColumns(slot, values);
  }

  void Remove(VectorKey key) override {
    auto it = slot_of_.find(key);
    if (it == slot_of_.end()) return;
    const size_t slot = it->second;
    const size_t last = keys_.size() - 1;
    if (slot != last) {
      std::memcpy(data_.data() + slot * dims_, data_.data() + last * dims_, dims_ * sizeof(float));
      WriteColumns(slot, data_.data() + slot * dims_);
      keys_[slot] = keys_[last];
      slot_of_[keys_[slot]] = static_cast<uint32_t>(slot);
    }
    slot_of_.erase(it);
    keys_.pop_back();
    data_.resize(last * dims_);
    if (sparse_capable()) {
      columns_.resize((last + kDimMajorRows - 1) / kDimMajorRows * kDimMajorRows * dims_);
    }
  }

  std::vector<VectorHit> Search(const float* query, int k) const override {
    const size_t n = keys_.size();
    const size_t want = k <= 0 ? 0 : std::min(static_cast<size_t>(k), n);
    std::vector<VectorHit> heap;  // the best `want` so far; heap.front() is the worst of them
    if (want == 0) return heap;
    heap.reserve(want);
    std::vector<uint32_t> nonzero;
    if (sparse_capable()) {
      for (size_t i = 0; i < dims_ && nonzero.size() <= dims_ / kSparseShare; ++i) {
        if (query[i] != 0) nonzero.push_back(static_cast<uint32_t>(i));
      }
    }
    const bool sparse = sparse_capable() && nonzero.size() <= dims_ / kSparseShare;
    float scores[kBlockRows];
    for (size_t start = 0; start < n; start += kBlockRows) {
      const size_t rows = std::min(kBlockRows, n - start);
      if (sparse) {
        // Scores all kDimMajorRows rows of the block; those past the last slot are ignored.
        DotBlockSparse(query, nonzero.data(), nonzero.size(), columns_.data() + start * dims_,
                       scores);
      } else {
        DotRows(query, data_.data() + start * dims_, rows, dims_, scores);
      }
      for (size_t r = 0; r < rows; ++r) {
        const VectorHit hit{keys_[start + r], scores[r]};
        if (heap.size() < want) {
          heap.push_back(hit);
          std::push_heap(heap.begin(), heap.end(), Better);
        } else if (Better(hit, heap.front())) {
          std::pop_heap(heap.begin(), heap.end(), Better);
          heap.back() = hit;
          std::push_heap(heap.begin(), heap.end(), Better);
        }
      }
    }
    std::sort_heap(heap.begin(), heap.end(), Better);
    return heap;
  }

  void ForEach(const std::function<void(VectorKey, const float*)>& fn) const override {
    for (size_t slot = 0; slot < keys_.size(); ++slot) fn(keys_[slot], data_.data() + slot * dims_);
  }

  size_t size() const override { return keys_.size(); }

  size_t memory_bytes() const override {
    // The hash table: its bucket array plus one node (key, slot, next pointer) per entry.
    const size_t table = slot_of_.bucket_count() * sizeof(void*) +
                         slot_of_.size() * (sizeof(void*) + 2 * sizeof(uint32_t));
    return (data_.capacity() + columns_.capacity()) * sizeof(float) +
           keys_.capacity() * sizeof(VectorKey) + table;
  }

 private:
  bool sparse_capable() const { return sparse_capable_; }

  // Copies a slot's vector into its block of columns_.
  void WriteColumns(size_t slot, const float* values) {
    if (!sparse_capable()) return;
    float* block = columns_.data() + slot / kDimMajorRows * kDimMajorRows * dims_;
    const size_t row = slot % kDimMajorRows;
    for (size_t d = 0; d < dims_; ++d) block[d * kDimMajorRows + row] = values[d];
  }

  const size_t dims_;
  // Keeps the dimension-major copy: made for sparse queries, and dims a multiple of 8
  // (DotBlockSparse's lanes).
  const bool sparse_capable_;
  std::vector<float, CacheLineAllocator<float>> data_;  // slot s holds data_[s·dims, (s+1)·dims)
  // The same vectors dimension-major per block of kDimMajorRows slots (dot.h), for sparse
  // queries: dim d of slot s is columns_[(s / R)·R·dims + d·R + s % R], R = kDimMajorRows.
  std::vector<float, CacheLineAllocator<float>> columns_;
  std::vector<VectorKey> keys_;                      // slot → key
  std::unordered_map<VectorKey, uint32_t> slot_of_;  // key → slot
};

}  // namespace

std::unique_ptr<VectorSpace> MakeExactSpace(int dims, QueryDensity queries) {
  return std::make_unique<ExactSpace>(dims, queries);
}

}  // namespace ingestd::search
