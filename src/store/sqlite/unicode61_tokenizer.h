// Unicode61Tokenizer: SQLite's own FTS5 unicode61 tokenizer with remove_diacritics 2 — the one
// chunks_fts is declared with (migration v6) — called directly, so an index kept outside
// SQLite (search::KeywordIndex) splits and folds text exactly as FTS5 does: the same tokens,
// the same token counts, hence the same bm25.
//
// Thread-safe: calls are serialised (the tokenizer object keeps a folding buffer).
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

struct sqlite3;
struct fts5_tokenizer;
struct Fts5Tokenizer;

namespace ingestd::sqlite {

class Unicode61Tokenizer {
 public:
  // An in-memory database's FTS5 module; kInternal "DB_ERROR" when SQLite has no FTS5.
  static Result<std::unique_ptr<Unicode61Tokenizer>> Open();
  ~Unicode61Tokenizer();
  Unicode61Tokenizer(const Unicode61Tokenizer&) = delete;
  Unicode61Tokenizer& operator=(const Unicode61Tokenizer&) = delete;

  // The tokens of text in order, folded (lower case, diacritics removed), repeats kept.
  std::vector<std::string> Tokens(std::string_view text);

 private:
  Unicode61Tokenizer() = default;
  sqlite3* db_ = nullptr;
  fts5_tokenizer* api_ = nullptr;        // owned by db_'s FTS5 module
  ::Fts5Tokenizer* instance_ = nullptr;  // made by api_->xCreate
  std::mutex mu_;
};

}  // namespace ingestd::sqlite
