// The search of a serve process (src/search): its in-memory index over the store's vector
// change feed — each (user, model) space an ExactSpace until INGESTD_HNSW_MIN_VECTORS, then
// an HnswSpace built from it —, on SQLite an in-memory BM25 index over the chunk change feed
// for the keyword side (FTS5's ranking without FTS5 scoring every match; PostgreSQL keeps
// ts_rank_cd in the store), and the search service over the router's embedder.
#pragma once

#include <memory>

#include "cli/config.h"
#include "core/clock.h"
#include "search/keyword_index.h"
#include "search/search_index.h"
#include "search/search_service.h"
#include "services/embedder.h"
#include "store/sqlite/unicode61_tokenizer.h"
#include "store/store.h"

namespace ingestd::cli {

struct Search {
  // Destroyed in reverse: the service first, then the indexes (their threads stop), then
  // the tokenizer the keyword index calls.
  std::unique_ptr<sqlite::Unicode61Tokenizer> tokenizer;  // SQLite only
  std::unique_ptr<search::KeywordIndex> keyword;          // SQLite only
  std::unique_ptr<search::SearchIndex> index;  // its catch-up thread runs until destroyed
  std::unique_ptr<search::SearchService> service;
};

// The index options of config: exact spaces, HNSW graphs (config.hnsw) past the threshold.
search::SearchIndexOptions SearchIndexOptionsFor(const Config& config);

// Starts the indexes' catch-up threads. store, embedder and clock must outlive the result.
Result<Search> StartSearch(const Config& config, Store* store, Embedder* embedder, Clock* clock);

}  // namespace ingestd::cli
