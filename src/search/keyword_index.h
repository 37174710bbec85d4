// KeywordIndex: Store::KeywordSearch answered from memory (a Bm25Index) on the SQLite
// backend, where FTS5 computes bm25 for every chunk holding any query word — most of a
// search's CPU when the words are common. Same matches, scores and order as FTS5 (see
// bm25_index.h), given the tokenizer FTS5 uses (sqlite::Unicode61Tokenizer).
//
// Built from Store::ListAllChunkChanges (every user's chunks: FTS5's statistics are over all
// of them) and kept current like SearchIndex (catch_up_rounds.h): each search first applies
// the changes committed before it, and a background thread catches up every catchup_ms, so
// chunks other processes commit arrive too. A search the index cannot answer exactly goes
// to the store: one with a filter (the store applies filters in its statement), or one
// whose words FTS5 would read as several tokens each (a phrase, e.g. "a—b": needs
// positions) or none.
//
// Thread-safe: searches share the index's lock, a catch-up round takes it to apply a page.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "search/bm25_index.h"
#include "search/catch_up_rounds.h"
#include "search/keyword_searcher.h"
#include "store/store.h"

namespace ingestd::search {

// Text → its FTS5 tokens, folded, in order, repeats kept. Thread-safe.
using TokenizeFn = std::function<std::vector<std::string>(std::string_view text)>;

struct KeywordIndexOptions {
  TokenizeFn tokenize;  // required: chunks_fts's tokenizer
  // The background thread's catch-up period (INGESTD_SEARCH_CATCHUP_MS, as SearchIndex).
  int64_t catchup_ms = 500;
  int page_size = 2'000;  // changes read per ListAllChunkChanges call
};

struct KeywordIndexReport {
  int64_t seq = 0;  // the last change applied
  int64_t chunks = 0;
  size_t memory_bytes = 0;
};

class KeywordIndex final : public KeywordSearcher {
 public:
  // store must outlive the index.
  KeywordIndex(Store* store, KeywordIndexOptions options);
  ~KeywordIndex() override;  // Stop()

  // Starts the background catch-up thread (its first round builds the index).
  void Start();
  void Stop();
  // Applies the store's chunk changes since the last round.
  Status CatchUp() { return rounds_.Run(); }

  Result<std::vector<KeywordHit>> Search(const std::string& user_id, std::string_view query,
                                         const SearchFilter& f, int limit) override;

  KeywordIndexReport Report() const;

 private:
  Status Round();

  Store* const store_;
  const KeywordIndexOptions options_;
  mutable std::shared_mutex mu_;
  Bm25Index index_;       // guarded by mu_
  int64_t last_seq_ = 0;  // written by rounds only (one at a time); read under mu_
  CatchUpRounds rounds_;  // last: its thread uses the members above
};

}  // namespace ingestd::search
