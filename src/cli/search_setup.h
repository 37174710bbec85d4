// The search of a serve process (src/search): its in-memory index over the store's vector
// change feed — each (user, model) space an ExactSpace until INGESTD_HNSW_MIN_VECTORS, then
// an HnswSpace built from it —, and the search service over the router's embedder.
#pragma once

#include <memory>

#include "cli/config.h"
#include "core/clock.h"
#include "search/search_index.h"
#include "search/search_service.h"
#include "services/embedder.h"
#include "store/store.h"

namespace ingestd::cli {

struct Search {
  std::unique_ptr<search::SearchIndex> index;  // its catch-up thread runs until destroyed
  std::unique_ptr<search::SearchService> service;
};

// The index options of config: exact spaces, HNSW graphs (config.hnsw) past the threshold.
search::SearchIndexOptions SearchIndexOptionsFor(const Config& config);

// Starts the index's catch-up thread. store, embedder and clock must outlive the result.
Search StartSearch(const Config& config, Store* store, Embedder* embedder, Clock* clock);

}  // namespace ingestd::cli
