// SearchIndex: the vectors of every (user, model) space in memory, one VectorSpace each, fed
// by the store's vector change feed (Store::ListVectorChanges) and never mixed: a query is
// searched in the space of the model that embedded it.
//
// Freshness: CatchUp() applies every change after the last seq it saw. Searches call it
// first (so a client that saw its job complete finds it at once); a background thread
// (Start) calls it when the store signals a vector commit (Store::SubscribeVectorChanges,
// PostgreSQL LISTEN/NOTIFY; none on SQLite) and every catchup_ms, so changes written by other
// processes arrive within that long even when nobody searches. Concurrent CatchUp calls
// share one round (catch_up_rounds.h).
//
// Spaces start exact (make_exact) and are rebuilt as approximate (make_approximate, an HNSW
// graph built from the exact space) once they hold hnsw_min_vectors vectors; searches of the
// space go on during the build. They never go back.
//
// Thread safety: thread-safe. Each space has a shared_mutex (searches share it, the catch-up
// round writes under it); the map of spaces has its own.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "core/status.h"
#include "search/catch_up_rounds.h"
#include "search/index/vector_space.h"
#include "store/store.h"

namespace ingestd::search {

// Makes an empty space for `model`'s vectors of `dims` floats.
using SpaceFactory = std::function<std::unique_ptr<VectorSpace>(std::string_view model, int dims)>;
// Makes a space holding every live vector of `exact` under the same keys.
using RebuildFactory = std::function<std::unique_ptr<VectorSpace>(const VectorSpace& exact)>;

struct SearchIndexOptions {
  SpaceFactory make_exact;          // required
  RebuildFactory make_approximate;  // optional: without it spaces stay exact
  // A space is rebuilt with make_approximate once it holds this many vectors
  // (INGESTD_HNSW_MIN_VECTORS). Exact below: HNSW is approximate and slow to build.
  size_t hnsw_min_vectors = 20'000;
  // The background thread's catch-up period (INGESTD_SEARCH_CATCHUP_MS): the longest a
  // change committed by another process waits when no signal and no search brings it in.
  int64_t catchup_ms = 500;
  int page_size = 2'000;  // changes read per ListVectorChanges call
};

// A chunk found in a space.
struct NearChunk {
  std::string chunk_id, document_id;
  float score = 0;  // inner product with the query (cosine for normalised vectors)
};

// One space, as GET /api/v1/search/index reports it.
struct SpaceReport {
  std::string user_id, model;
  int dims = 0;
  std::string kind;  // "exact" | "hnsw"
  size_t vectors = 0;
  size_t documents = 0;
  size_t memory_bytes = 0;  // the VectorSpace's own figure plus the key maps' estimate
};

struct IndexReport {
  int64_t seq = 0;  // the last change applied
  std::vector<SpaceReport> spaces;
};

// What a user's documents have in one model space (SearchIndex::Coverage).
struct SpaceCoverage {
  std::vector<std::string> in_space;        // hold a vector of the model
  std::vector<std::string> other_space;     // hold vectors of other models only
  std::vector<std::string> without_vector;  // hold no vector of any model
};

class SearchIndex {
 public:
  // store must outlive the index.
  SearchIndex(Store* store, SearchIndexOptions options);
  ~SearchIndex();  // Stop()

  // Starts the background catch-up thread (its first round builds the index).
  void Start();
  void Stop();

  // Applies the store's changes since the last round (see the file comment).
  Status CatchUp() { return rounds_.Run(); }

  // The k chunks of the user's `model` space nearest `query` (dims floats; a query of other
  // dimensions finds nothing), best first. With allowed_documents, only chunks of those
  // documents: the space is over-fetched and filtered, and when that leaves fewer than k
  // while the space holds more, the allowed documents' vectors are read from the store and
  // scanned exactly.
  Result<std::vector<NearChunk>> Nearest(const std::string& user_id, const std::string& model,
                                         const std::vector<float>& query, int k,
                                         const std::unordered_set<std::string>* allowed_documents);

  // Sorts documents (the user's) by what they hold in the `model` space.
  SpaceCoverage Coverage(const std::string& user_id, const std::string& model,
                         const std::vector<std::string>& documents) const;

  IndexReport Report() const;

 private:
  struct Space;
  Space* FindSpace(const std::string& user_id, const std::string& model) const;
  Space* SpaceFor(const VectorChange& c);
  void ApplyPage(const std::vector<VectorChange>& changes);
  void MakeApproximate(Space* space);
  Status Round();

  Store* const store_;
  const SearchIndexOptions options_;

  // Spaces by user, then model. Entries are only added (under the unique lock), never
  // removed, so a Space* stays valid for the index's lifetime.
  mutable std::shared_mutex spaces_mu_;
  std::map<std::string, std::map<std::string, std::unique_ptr<Space>>> spaces_;

  int64_t last_seq_ = 0;  // written by rounds only (one at a time)
  std::atomic<int64_t> reported_seq_{0};
  std::unique_ptr<StoreSubscription> subscription_;
  CatchUpRounds rounds_;  // last: its thread uses the members above
};

}  // namespace ingestd::search
