#include "cli/search_setup.h"

#include "search/index/exact_space.h"
#include "search/index/hnsw_space.h"
#include "services/local_embedder.h"

namespace ingestd::cli {

search::SearchIndexOptions SearchIndexOptionsFor(const Config& config) {
  search::SearchIndexOptions o;
  // The local embedder's queries set a few dozen of their dims: its spaces keep the
  // dimension-major copy that scans them contiguously. An API model's queries are dense.
  o.make_exact = [](std::string_view model, int dims) {
    return search::MakeExactSpace(dims, model.starts_with(LocalEmbedder::kModelPrefix)
                                            ? search::QueryDensity::kSparse
                                            : search::QueryDensity::kDense);
  };
  o.make_approximate = [hnsw = config.hnsw](const search::VectorSpace& exact) {
    return search::MakeHnswSpaceFrom(exact, hnsw);
  };
  o.hnsw_min_vectors = config.hnsw_min_vectors;
  o.catchup_ms = config.search_catchup_ms;
  return o;
}

Result<Search> StartSearch(const Config& config, Store* store, Embedder* embedder, Clock* clock) {
  Search s;
  if (config.database_url.starts_with("sqlite://")) {
    auto tokenizer = sqlite::Unicode61Tokenizer::Open();
    if (!tokenizer.ok()) return tokenizer.status();
    s.tokenizer = std::move(*tokenizer);
    search::KeywordIndexOptions o;
    o.tokenize = [t = s.tokenizer.get()](std::string_view text) { return t->Tokens(text); };
    o.catchup_ms = config.search_catchup_ms;
    s.keyword = std::make_unique<search::KeywordIndex>(store, std::move(o));
    s.keyword->Start();
  }
  s.index = std::make_unique<search::SearchIndex>(store, SearchIndexOptionsFor(config));
  s.index->Start();
  s.service = std::make_unique<search::SearchService>(store, s.index.get(), embedder, clock,
                                                      s.keyword.get());
  return s;
}

}  // namespace ingestd::cli
