#include "search/index/hnsw_space.h"

// hnswlib 0.6.2's prefetch hints (compiled in with USE_SSE) read the neighbour id one past
// the end of a link list, 4 bytes beyond an upper layer's malloc'd block: harmless on real
// memory (the value only feeds a prefetch address, inside the block's malloc padding), but
// AddressSanitizer stops there. Sanitized builds leave the hints out; nothing else depends on
// USE_SSE here, since distances come from dot.h.
#if defined(__SANITIZE_ADDRESS__)
#define NO_MANUAL_VECTORIZATION
#endif
#include <hnswlib/hnswlib.h>

#include <algorithm>
#include <string>

#include "search/index/dot.h"

// hnswlib.h defines functions (cpuid, AVXCapable, …) outside any inline or template, so it
// is included in this one translation unit only; the header exposes no hnswlib type.

namespace ingestd::search {
namespace {

// hnswlib's own InnerProductSpace takes SSE or AVX only when the whole build targets them;
// this one scores with dot.h's run-time choice. Distance = −(a · b): smaller is nearer.
class NegatedDotSpace final : public hnswlib::SpaceInterface<float> {
 public:
  explicit NegatedDotSpace(size_t dims) : dims_(dims) {}
  size_t get_data_size() override { return dims_ * sizeof(float); }
  hnswlib::DISTFUNC<float> get_dist_func() override { return &Distance; }
  void* get_dist_func_param() override { return &dims_; }

 private:
  static float Distance(const void* a, const void* b, const void* dims) {
    return -Dot(static_cast<const float*>(a), static_cast<const float*>(b),
                *static_cast<const size_t*>(dims));
  }
  size_t dims_;
};

using Graph = hnswlib::HierarchicalNSW<float>;

constexpr size_t kInitialCapacity = 1024;

class HnswSpace final : public HnswGraphSpace {
 public:
  HnswSpace(int dims, const HnswOptions& options, size_t capacity)
      : dims_(static_cast<size_t>(dims)),
        space_(dims_),
        graph_(&space_, std::max(capacity, kInitialCapacity), static_cast<size_t>(options.m),
               static_cast<size_t>(options.ef_construction)) {
    SetEfSearch(options.ef_search);
  }

  void SetEfSearch(int ef_search) override { graph_.setEf(static_cast<size_t>(ef_search)); }

  int dims() const override { return static_cast<int>(dims_); }

  void Upsert(VectorKey key, const float* values) override {
    if (graph_.label_lookup_.count(key) == 0 && graph_.cur_element_count == graph_.max_elements_) {
      graph_.resizeIndex(graph_.max_elements_ * 2);
    }
    // A stored label is updated in place (and unmarked if it was deleted).
    graph_.addPoint(values, key);
  }

  void Remove(VectorKey key) override {
    auto it = graph_.label_lookup_.find(key);
    if (it == graph_.label_lookup_.end() || graph_.isMarkedDeleted(it->second)) return;
    graph_.markDeletedInternal(it->second);
  }

  std::vector<VectorHit> Search(const float* query, int k) const override {
    std::vector<VectorHit> hits;
    const size_t live = size();
    if (k <= 0 || live == 0) return hits;
    auto found = graph_.searchKnn(query, std::min(static_cast<size_t>(k), live));
    hits.resize(found.size());
    // The queue pops the farthest first; fill from the back so the best comes first.
    for (size_t i = hits.size(); i-- > 0; found.pop()) {
      hits[i] = {static_cast<VectorKey>(found.top().second), -found.top().first};
    }
    return hits;
  }

  void ForEach(const std::function<void(VectorKey, const float*)>& fn) const override {
    for (const auto& [label, id] : graph_.label_lookup_) {
      if (graph_.isMarkedDeleted(id)) continue;
      fn(static_cast<VectorKey>(label),
         reinterpret_cast<const float*>(graph_.getDataByInternalId(id)));
    }
  }

  size_t size() const override { return graph_.cur_element_count - graph_.num_deleted_; }

  size_t memory_bytes() const override {
    // Per slot of capacity: the bottom layer (links, vector, label), the upper-layer pointer,
    // the level, a lock and a visited-list mark; then the upper layers of each point and the
    // label table (bucket array plus a node per label).
    const size_t per_slot = graph_.size_data_per_element_ + sizeof(void*) + sizeof(int) +
                            sizeof(std::mutex) + sizeof(hnswlib::vl_type);
    size_t upper = 0;
    for (size_t id = 0; id < graph_.cur_element_count; ++id) {
      upper += static_cast<size_t>(graph_.element_levels_[id]) * graph_.size_links_per_element_;
    }
    const size_t table = graph_.label_lookup_.bucket_count() * sizeof(void*) +
                         graph_.label_lookup_.size() * (sizeof(void*) + 2 * sizeof(size_t));
    return graph_.max_elements_ * per_slot + upper + table;
  }

 private:
  const size_t dims_;
  NegatedDotSpace space_;  // before graph_, which keeps a pointer to its distance
  Graph graph_;
};

}  // namespace

Status HnswOptions::Validate() const {
  if (m < 2 || m > 1024)
    return Status::InvalidArgument("INVALID_ARGUMENT", "HNSW M must be 2 … 1024");
  if (ef_construction < 1) {
    return Status::InvalidArgument("INVALID_ARGUMENT", "HNSW ef_construction must be ≥ 1");
  }
  if (ef_search < 1)
    return Status::InvalidArgument("INVALID_ARGUMENT", "HNSW ef_search must be ≥ 1");
  return Status();
}

std::unique_ptr<HnswGraphSpace> MakeHnswSpace(int dims, const HnswOptions& options) {
  return std::make_unique<HnswSpace>(dims, options, kInitialCapacity);
}

std::unique_ptr<HnswGraphSpace> MakeHnswSpaceFrom(const VectorSpace& source,
                                                  const HnswOptions& options) {
  auto space = std::make_unique<HnswSpace>(source.dims(), options, source.size());
  source.ForEach([&](VectorKey key, const float* values) { space->Upsert(key, values); });
  return space;
}

}  // namespace ingestd::search
