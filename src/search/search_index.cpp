#include "search/search_index.h"

#include <algorithm>
#include <utility>

#include "core/log.h"

namespace ingestd::search {
namespace {

// The filtered exact scan reads the allowed chunks' vectors this many ids a call.
constexpr size_t kReadBatch = 1'000;

}  // namespace

struct SearchIndex::Space {
  std::string user_id, model;
  mutable std::shared_mutex mu;
  // Everything below is guarded by mu (written only by the catch-up round).
  std::unique_ptr<VectorSpace> vectors;  // null until the first vector tells the dimensions
  bool approximate = false;
  std::unordered_map<std::string, VectorKey> key_of;  // chunk id → key
  std::vector<std::string> chunk_of, document_of;     // by key; empty: a free key
  std::vector<VectorKey> free_keys;
  std::unordered_map<std::string, size_t> document_vectors;  // live vectors per document

  void Put(const VectorChange& c, const SpaceFactory& make_exact) {
    if (!vectors) vectors = make_exact(model, static_cast<int>(c.values.size()));
    if (c.values.size() != static_cast<size_t>(vectors->dims())) {
      log::Warn("search index: vector of other dimensions skipped",
                {{"model", model},
                 {"chunk_id", c.chunk_id},
                 {"dims", c.values.size()},
                 {"space_dims", vectors->dims()}});
      return;
    }
    auto [it, inserted] = key_of.try_emplace(c.chunk_id, 0);
    if (inserted) {
      if (free_keys.empty()) {
        it->second = static_cast<VectorKey>(chunk_of.size());
        chunk_of.emplace_back();
        document_of.emplace_back();
      } else {
        it->second = free_keys.back();
        free_keys.pop_back();
      }
      chunk_of[it->second] = c.chunk_id;
      document_of[it->second] = c.document_id;
      ++document_vectors[c.document_id];
    }
    vectors->Upsert(it->second, c.values.data());
  }

  void Drop(const VectorChange& c) {
    auto it = key_of.find(c.chunk_id);
    if (it == key_of.end()) return;
    const VectorKey key = it->second;
    vectors->Remove(key);
    auto doc = document_vectors.find(document_of[key]);
    if (doc != document_vectors.end() && --doc->second == 0) document_vectors.erase(doc);
    chunk_of[key].clear();
    document_of[key].clear();
    free_keys.push_back(key);
    key_of.erase(it);
  }

  // What the key maps hold, roughly: the strings and the hash nodes.
  size_t MapBytes() const {
    size_t bytes =
        chunk_of.capacity() * sizeof(std::string) * 2 + free_keys.capacity() * sizeof(VectorKey) +
        key_of.bucket_count() * sizeof(void*) + document_vectors.bucket_count() * sizeof(void*);
    for (const auto& [chunk, key] : key_of) {
      bytes += sizeof(std::pair<const std::string, VectorKey>) + 2 * sizeof(void*) +
               chunk.capacity() + chunk_of[key].capacity() + document_of[key].capacity();
    }
    for (const auto& [doc, n] : document_vectors) {
      bytes += sizeof(std::pair<const std::string, size_t>) + 2 * sizeof(void*) + doc.capacity();
    }
    return bytes;
  }
};

SearchIndex::SearchIndex(Store* store, SearchIndexOptions options)
    : store_(store), options_(std::move(options)), rounds_([this] { return Round(); }) {}

SearchIndex::~SearchIndex() { Stop(); }

void SearchIndex::Start() {
  subscription_ = store_->SubscribeVectorChanges([this] { rounds_.Wake(); });
  rounds_.Start(options_.catchup_ms, "search index catch-up");
}

void SearchIndex::Stop() {
  rounds_.Stop();
  subscription_.reset();
}

Status SearchIndex::Round() {
  for (;;) {
    auto page = store_->ListVectorChanges(last_seq_, options_.page_size);
    if (!page.ok()) return page.status();
    if (page->empty()) return Status();
    ApplyPage(*page);
    last_seq_ = page->back().seq;
    reported_seq_.store(last_seq_, std::memory_order_relaxed);
    if (page->size() < static_cast<size_t>(options_.page_size)) return Status();
  }
}

SearchIndex::Space* SearchIndex::FindSpace(const std::string& user_id,
                                           const std::string& model) const {
  std::shared_lock lock(spaces_mu_);
  auto user = spaces_.find(user_id);
  if (user == spaces_.end()) return nullptr;
  auto space = user->second.find(model);
  return space == user->second.end() ? nullptr : space->second.get();
}

SearchIndex::Space* SearchIndex::SpaceFor(const VectorChange& c) {
  if (Space* s = FindSpace(c.user_id, c.model)) return s;
  if (c.deleted) return nullptr;  // nothing of this space was ever indexed
  std::unique_lock lock(spaces_mu_);
  std::unique_ptr<Space>& slot = spaces_[c.user_id][c.model];
  if (!slot) {
    slot = std::make_unique<Space>();
    slot->user_id = c.user_id;
    slot->model = c.model;
  }
  return slot.get();
}

void SearchIndex::ApplyPage(const std::vector<VectorChange>& changes) {
  std::unordered_set<Space*> touched;
  Space* current = nullptr;
  std::unique_lock<std::shared_mutex> lock;
  for (const VectorChange& c : changes) {
    Space* space = SpaceFor(c);
    if (space == nullptr) continue;
    if (space != current) {
      lock = std::unique_lock(space->mu);  // one space's lock at a time
      current = space;
    }
    if (c.deleted) {
      space->Drop(c);
    } else if (!c.values.empty()) {
      space->Put(c, options_.make_exact);
    }
    touched.insert(space);
  }
  if (lock.owns_lock()) lock.unlock();
  if (!options_.make_approximate) return;
  for (Space* space : touched) {
    bool due = false;
    {
      std::shared_lock read(space->mu);
      due = !space->approximate && space->vectors &&
            space->vectors->size() >= options_.hnsw_min_vectors;
    }
    if (due) MakeApproximate(space);
  }
}

void SearchIndex::MakeApproximate(Space* space) {
  // Only the catch-up round writes spaces, and this runs inside it: the exact space stays as
  // it is while the graph is built from it, and searches share it meanwhile.
  std::unique_ptr<VectorSpace> graph;
  {
    std::shared_lock read(space->mu);
    graph = options_.make_approximate(*space->vectors);
  }
  std::unique_lock write(space->mu);
  log::Info("search index: space rebuilt as HNSW",
            {{"user_id", space->user_id}, {"model", space->model}, {"vectors", graph->size()}});
  space->vectors = std::move(graph);
  space->approximate = true;
}

Result<std::vector<NearChunk>> SearchIndex::Nearest(
    const std::string& user_id, const std::string& model, const std::vector<float>& query, int k,
    const std::unordered_set<std::string>* allowed_documents) {
  std::vector<NearChunk> out;
  Space* space = FindSpace(user_id, model);
  if (space == nullptr || k <= 0) return out;
  std::vector<std::string> scan;  // the allowed documents' chunks, for the exact scan
  int dims = 0;
  {
    std::shared_lock read(space->mu);
    if (!space->vectors || query.size() != static_cast<size_t>(space->vectors->dims())) return out;
    dims = space->vectors->dims();
    const size_t live = space->vectors->size();
    const size_t want = static_cast<size_t>(k);
    // Filtered: an exact space is scanned whole (every allowed chunk is seen); a graph is
    // over-fetched.
    size_t fetch = std::min(live, want);
    if (allowed_documents != nullptr) {
      fetch = space->approximate ? std::min(live, std::max(4 * want, want + 100)) : live;
    }
    const std::vector<VectorHit> hits =
        space->vectors->Search(query.data(), static_cast<int>(fetch));
    for (const VectorHit& h : hits) {
      const std::string& doc = space->document_of[h.key];
      if (allowed_documents != nullptr && !allowed_documents->contains(doc)) continue;
      out.push_back({space->chunk_of[h.key], doc, h.score});
      if (out.size() == want) break;
    }
    // Done when k passed, or when every live vector was seen.
    if (out.size() == want || hits.size() >= live) return out;
    for (size_t key = 0; key < space->chunk_of.size(); ++key) {
      if (!space->chunk_of[key].empty() && allowed_documents->contains(space->document_of[key])) {
        scan.push_back(space->chunk_of[key]);
      }
    }
  }
  // The over-fetch left too few: the allowed documents' vectors, exactly, from the store.
  std::unique_ptr<VectorSpace> exact = options_.make_exact(model, dims);
  std::vector<NearChunk> scanned;
  for (size_t begin = 0; begin < scan.size(); begin += kReadBatch) {
    const size_t end = std::min(scan.size(), begin + kReadBatch);
    std::vector<std::string> batch(scan.begin() + begin, scan.begin() + end);
    auto records = store_->GetChunkVectors(user_id, batch);
    if (!records.ok()) return records.status();
    for (const VectorRecord& r : *records) {
      if (r.model != model || r.values.size() != static_cast<size_t>(dims)) continue;
      exact->Upsert(static_cast<VectorKey>(scanned.size()), r.values.data());
      scanned.push_back({r.chunk_id, r.document_id, 0});
    }
  }
  out.clear();
  for (const VectorHit& h : exact->Search(query.data(), k)) {
    out.push_back(scanned[h.key]);
    out.back().score = h.score;
  }
  return out;
}

SpaceCoverage SearchIndex::Coverage(const std::string& user_id, const std::string& model,
                                    const std::vector<std::string>& documents) const {
  // Per document: 1 = in the model's space, 2 = in another space only.
  std::vector<int> where(documents.size(), 0);
  {
    std::shared_lock lock(spaces_mu_);
    auto user = spaces_.find(user_id);
    if (user != spaces_.end()) {
      for (const auto& [space_model, space] : user->second) {
        const int mark = space_model == model ? 1 : 2;
        std::shared_lock read(space->mu);
        for (size_t i = 0; i < documents.size(); ++i) {
          if (where[i] != 1 && space->document_vectors.contains(documents[i])) where[i] = mark;
        }
      }
    }
  }
  SpaceCoverage out;
  for (size_t i = 0; i < documents.size(); ++i) {
    auto& list = where[i] == 1   ? out.in_space
                 : where[i] == 2 ? out.other_space
                                 : out.without_vector;
    list.push_back(documents[i]);
  }
  return out;
}

IndexReport SearchIndex::Report() const {
  IndexReport report;
  report.seq = reported_seq_.load(std::memory_order_relaxed);
  std::shared_lock lock(spaces_mu_);
  for (const auto& [user_id, models] : spaces_) {
    for (const auto& [model, space] : models) {
      std::shared_lock read(space->mu);
      SpaceReport r;
      r.user_id = user_id;
      r.model = model;
      r.kind = space->approximate ? "hnsw" : "exact";
      r.documents = space->document_vectors.size();
      r.memory_bytes = space->MapBytes();
      if (space->vectors) {
        r.dims = space->vectors->dims();
        r.vectors = space->vectors->size();
        r.memory_bytes += space->vectors->memory_bytes();
      }
      report.spaces.push_back(std::move(r));
    }
  }
  return report;
}

}  // namespace ingestd::search
