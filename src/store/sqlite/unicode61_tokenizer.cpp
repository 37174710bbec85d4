#include "store/sqlite/unicode61_tokenizer.h"

#include <sqlite3.h>

namespace ingestd::sqlite {
namespace {

// The FTS5 extension API of a connection (https://sqlite.org/fts5.html#extending_fts5).
fts5_api* Fts5Api(sqlite3* db) {
  fts5_api* api = nullptr;
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db, "SELECT fts5(?1)", -1, &stmt, nullptr) != SQLITE_OK) return nullptr;
  sqlite3_bind_pointer(stmt, 1, &api, "fts5_api_ptr", nullptr);
  sqlite3_step(stmt);
  sqlite3_finalize(stmt);
  return api;
}

int CollectToken(void* ctx, int /*flags*/, const char* token, int bytes, int /*start*/,
                 int /*end*/) {
  static_cast<std::vector<std::string>*>(ctx)->emplace_back(token, static_cast<size_t>(bytes));
  return SQLITE_OK;
}

Status NoFts5(const char* why) { return Status::Internal("DB_ERROR", why); }

}  // namespace

Result<std::unique_ptr<Unicode61Tokenizer>> Unicode61Tokenizer::Open() {
  std::unique_ptr<Unicode61Tokenizer> t(new Unicode61Tokenizer());
  if (sqlite3_open(":memory:", &t->db_) != SQLITE_OK) return NoFts5("cannot open SQLite");
  fts5_api* api = Fts5Api(t->db_);
  if (api == nullptr) return NoFts5("SQLite has no FTS5");
  void* user_data = nullptr;
  fts5_tokenizer* tokenizer = new fts5_tokenizer{};
  t->api_ = tokenizer;
  if (api->xFindTokenizer(api, "unicode61", &user_data, tokenizer) != SQLITE_OK) {
    return NoFts5("FTS5 has no unicode61 tokenizer");
  }
  // As chunks_fts: tokenize='unicode61 remove_diacritics 2'.
  const char* args[] = {"remove_diacritics", "2"};
  if (tokenizer->xCreate(user_data, args, 2, &t->instance_) != SQLITE_OK) {
    return NoFts5("cannot make the unicode61 tokenizer");
  }
  return t;
}

Unicode61Tokenizer::~Unicode61Tokenizer() {
  if (instance_ != nullptr) api_->xDelete(instance_);
  delete api_;
  sqlite3_close(db_);
}

std::vector<std::string> Unicode61Tokenizer::Tokens(std::string_view text) {
  std::vector<std::string> tokens;
  std::lock_guard lock(mu_);
  api_->xTokenize(instance_, &tokens, FTS5_TOKENIZE_DOCUMENT, text.data(),
                  static_cast<int>(text.size()), CollectToken);
  return tokens;
}

}  // namespace ingestd::sqlite
