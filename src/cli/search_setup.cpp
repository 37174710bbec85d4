#include "cli/search_setup.h"

#include "search/index/exact_space.h"
#include "search/index/hnsw_space.h"

namespace ingestd::cli {

search::SearchIndexOptions SearchIndexOptionsFor(const Config& config) {
  search::SearchIndexOptions o;
  o.make_exact = [](int dims) { return search::MakeExactSpace(dims); };
  o.make_approximate = [hnsw = config.hnsw](const search::VectorSpace& exact) {
    return search::MakeHnswSpaceFrom(exact, hnsw);
  };
  o.hnsw_min_vectors = config.hnsw_min_vectors;
  o.catchup_ms = config.search_catchup_ms;
  return o;
}

Search StartSearch(const Config& config, Store* store, Embedder* embedder, Clock* clock) {
  Search s;
  s.index = std::make_unique<search::SearchIndex>(store, SearchIndexOptionsFor(config));
  s.index->Start();
  s.service = std::make_unique<search::SearchService>(store, s.index.get(), embedder, clock);
  return s;
}

}  // namespace ingestd::cli
