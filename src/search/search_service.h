// SearchService: one search over the caller's chunks (POST /api/v1/search).
//
// - vector: the query is embedded through the routed embedder exactly as a paid call is
//   (budget reservation, settle, audit row, the request's correlation id, the fallback in
//   hybrid service mode) and searched in the space of the model that answered
//   (EmbedOutput::model) only: spaces never mix.
// - keyword: the KeywordSearcher handed in (keyword_searcher.h: on SQLite the in-memory
//   KeywordIndex, FTS5's bm25 order), else Store::KeywordSearch (PostgreSQL ts_rank_cd).
// - hybrid: reciprocal-rank fusion (k = 60) of the top max(50, 5·top_k) of each; equal
//   fused scores by the best single rank, then the keyword rank (never by chunk id).
// Filters restrict both sides: the keyword side in its statement, the vector side by the
// filtered document ids (Store::ListDocumentIds). vector_pending_documents counts the
// caller's filtered documents that have chunks but no vector in the query's model space
// (their vectors are in another model's space, or not made yet): keyword alone finds them.
//
// Thread-safe (the store, index and embedder are).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/status.h"
#include "search/keyword_searcher.h"
#include "search/search_index.h"
#include "services/embedder.h"
#include "store/store.h"

namespace ingestd::search {

enum class SearchMode { kHybrid, kVector, kKeyword };

// "hybrid" | "vector" | "keyword"; anything else kInvalidArgument INVALID_FIELD.
Result<SearchMode> ParseSearchMode(std::string_view name);
const char* SearchModeName(SearchMode mode);

inline constexpr int kMaxTopK = 100;
inline constexpr size_t kMaxQueryTokens = 8'000;  // cl100k tokens
// Each side's candidates in hybrid mode: max(kMinFusionDepth, kFusionDepthFactor · top_k).
inline constexpr int kMinFusionDepth = 50;
inline constexpr int kFusionDepthFactor = 5;

struct SearchQuery {
  std::string user_id;
  std::string correlation_id;
  std::string text;
  int top_k = 10;  // 1..kMaxTopK
  SearchMode mode = SearchMode::kHybrid;
  SearchFilter filter;
};

struct SearchHit {
  ChunkView view;
  // hybrid: the fused RRF score; vector: the inner product; keyword: the keyword score.
  double score = 0;
  std::optional<double> vector_score, keyword_score;
  std::optional<int> vector_rank, keyword_rank;  // from 1, within each side's candidates
};

struct SearchAnswer {
  std::vector<SearchHit> hits;
  SearchMode mode = SearchMode::kHybrid;
  std::string model;  // the space searched; empty in keyword mode
  int64_t took_ms = 0;
  int64_t query_tokens = 0;  // cl100k tokens of the query
  int64_t cost_nanos = 0;    // what embedding the query cost (0 when free or keyword only)
  int64_t vector_pending_documents = 0;  // 0 in keyword mode
};

class SearchService {
 public:
  // All borrowed; they must outlive the service. embedder is the router's (RoutedEmbedder).
  // Without keyword, the store answers the keyword side.
  SearchService(Store* store, SearchIndex* index, Embedder* embedder, const Clock* clock,
                KeywordSearcher* keyword = nullptr);

  // kInvalidArgument INVALID_QUERY (empty, or over kMaxQueryTokens), INVALID_FIELD (top_k);
  // the embedder's errors as they are (in REAL mode an exhausted budget is the ledger's
  // BUDGET_EXCEEDED: no fallback); the store's.
  Result<SearchAnswer> Search(const SearchQuery& q);
  // The input checks Search starts with, for a caller that must refuse bad input before it
  // spends anything on it (a rate limiter's token): the query's token count, or Search's
  // INVALID_QUERY / INVALID_FIELD.
  static Result<size_t> Check(const SearchQuery& q);

  SearchIndex* index() { return index_; }

 private:
  struct Candidates;
  Status VectorSide(const SearchQuery& q, int depth, SearchAnswer* answer, Candidates* out);

  Store* const store_;
  SearchIndex* const index_;
  Embedder* const embedder_;
  const Clock* const clock_;
  StoreKeywordSearcher store_keyword_;
  KeywordSearcher* const keyword_;
};

}  // namespace ingestd::search
