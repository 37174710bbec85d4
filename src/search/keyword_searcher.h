// KeywordSearcher: the keyword side of a search (SearchService), as Store::KeywordSearch
// defines it — the same words, matches, order and limit. The store answers it itself
// (StoreKeywordSearcher); KeywordIndex answers from memory on SQLite.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "store/store.h"

namespace ingestd::search {

class KeywordSearcher {
 public:
  virtual ~KeywordSearcher() = default;
  // Thread-safe.
  virtual Result<std::vector<KeywordHit>> Search(const std::string& user_id, std::string_view query,
                                                 const SearchFilter& f, int limit) = 0;
};

// Store::KeywordSearch as it is (PostgreSQL's ts_rank_cd, or SQLite's FTS5).
class StoreKeywordSearcher final : public KeywordSearcher {
 public:
  explicit StoreKeywordSearcher(Store* store) : store_(store) {}  // store must outlive it
  Result<std::vector<KeywordHit>> Search(const std::string& user_id, std::string_view query,
                                         const SearchFilter& f, int limit) override {
    return store_->KeywordSearch(user_id, query, f, limit);
  }

 private:
  Store* const store_;
};

}  // namespace ingestd::search
