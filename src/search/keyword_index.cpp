#include "search/keyword_index.h"

#include <algorithm>
#include <mutex>
#include <utility>

#include "store/keyword_query.h"

namespace ingestd::search {
namespace {

// Store::KeywordSearch's limit range.
constexpr int kMaxKeywordLimit = 1'000;

// A page's chunks with their tokens, made before the index's lock is taken.
struct TokenizedChange {
  const ChunkChange* change;
  std::vector<std::string> tokens;
};

}  // namespace

KeywordIndex::KeywordIndex(Store* store, KeywordIndexOptions options)
    : store_(store), options_(std::move(options)), rounds_([this] { return Round(); }) {}

KeywordIndex::~KeywordIndex() { Stop(); }

void KeywordIndex::Start() { rounds_.Start(options_.catchup_ms, "keyword index catch-up"); }

void KeywordIndex::Stop() { rounds_.Stop(); }

Status KeywordIndex::Round() {
  for (;;) {
    auto page = store_->ListAllChunkChanges(last_seq_, options_.page_size);
    if (!page.ok()) return page.status();
    if (page->empty()) return Status();
    std::vector<TokenizedChange> tokenized;
    tokenized.reserve(page->size());
    for (const ChunkChange& c : *page) {
      tokenized.push_back(
          {&c, c.chunk ? options_.tokenize(c.chunk->chunk.text) : std::vector<std::string>{}});
    }
    {
      std::unique_lock lock(mu_);
      for (const TokenizedChange& t : tokenized) {
        if (t.change->chunk) {
          index_.Put(t.change->user_id, t.change->chunk_id, t.tokens);
        } else {
          index_.Remove(t.change->chunk_id);
        }
      }
      last_seq_ = page->back().seq;
    }
    if (page->size() < static_cast<size_t>(options_.page_size)) return Status();
  }
}

Result<std::vector<KeywordHit>> KeywordIndex::Search(const std::string& user_id,
                                                     std::string_view query, const SearchFilter& f,
                                                     int limit) {
  if (f.restricts()) return store_->KeywordSearch(user_id, query, f, limit);
  // Each word is an FTS5 phrase (keyword_query::Fts5Expression); one token each is what the
  // index holds.
  std::vector<std::string> phrases;
  for (const std::string& term : keyword_query::Terms(query)) {
    std::vector<std::string> tokens = options_.tokenize(term);
    if (tokens.size() != 1) return store_->KeywordSearch(user_id, query, f, limit);
    phrases.push_back(std::move(tokens.front()));
  }
  limit = std::clamp(limit, 0, kMaxKeywordLimit);
  std::vector<KeywordHit> hits;
  if (phrases.empty() || limit == 0) return hits;
  // Chunks committed before this search (a job the client saw complete) are in the index.
  if (Status s = CatchUp(); !s.ok()) return s;
  std::shared_lock lock(mu_);
  for (Bm25Hit& h : index_.TopK(user_id, phrases, limit)) {
    hits.push_back({std::move(h.chunk_id), h.score});
  }
  return hits;
}

KeywordIndexReport KeywordIndex::Report() const {
  std::shared_lock lock(mu_);
  return {last_seq_, index_.rows(), index_.memory_bytes()};
}

}  // namespace ingestd::search
