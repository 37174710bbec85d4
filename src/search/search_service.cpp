#include "search/search_service.h"

#include <algorithm>
#include <unordered_map>
#include <unordered_set>

#include "core/money.h"
#include "search/rank_fusion.h"
#include "text/tokenizer.h"

namespace ingestd::search {
namespace {

Status InvalidQuery(const std::string& why) {
  return Status::InvalidArgument("INVALID_QUERY", why);
}

bool IsBlank(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
  });
}

}  // namespace

Result<SearchMode> ParseSearchMode(std::string_view name) {
  if (name == "hybrid") return SearchMode::kHybrid;
  if (name == "vector") return SearchMode::kVector;
  if (name == "keyword") return SearchMode::kKeyword;
  return Status::InvalidArgument("INVALID_FIELD", "mode must be hybrid, vector or keyword");
}

const char* SearchModeName(SearchMode mode) {
  switch (mode) {
    case SearchMode::kVector:
      return "vector";
    case SearchMode::kKeyword:
      return "keyword";
    case SearchMode::kHybrid:
      break;
  }
  return "hybrid";
}

// Each side's candidates, best first.
struct SearchService::Candidates {
  std::vector<std::string> ids;
  std::vector<double> scores;
};

SearchService::SearchService(Store* store, SearchIndex* index, Embedder* embedder,
                             const Clock* clock, KeywordSearcher* keyword)
    : store_(store),
      index_(index),
      embedder_(embedder),
      clock_(clock),
      store_keyword_(store),
      keyword_(keyword != nullptr ? keyword : &store_keyword_) {}

Status SearchService::VectorSide(const SearchQuery& q, int depth, SearchAnswer* answer,
                                 Candidates* out) {
  // Changes committed before this search (a job the client saw complete) are in the index.
  if (Status s = index_->CatchUp(); !s.ok()) return s;
  auto documents = store_->ListDocumentIds(q.user_id, q.filter);
  if (!documents.ok()) return documents.status();

  CallContext ctx{q.correlation_id, "", q.user_id};
  auto embedded = embedder_->Embed({q.text}, ctx);
  if (!embedded.ok()) return embedded.status();
  if (embedded->vectors.size() != 1) {
    return Status::Error(Kind::kUpstream, "EMBED_INVALID_RESPONSE",
                         "the embedder answered " + std::to_string(embedded->vectors.size()) +
                             " vectors for one query");
  }
  answer->model = embedded->model;
  answer->cost_nanos = UsdToNanos(embedded->cost_usd);

  std::optional<std::unordered_set<std::string>> allowed;
  if (q.filter.restricts()) allowed.emplace(documents->begin(), documents->end());
  auto near = index_->Nearest(q.user_id, answer->model, embedded->vectors[0], depth,
                              allowed ? &*allowed : nullptr);
  if (!near.ok()) return near.status();
  for (const NearChunk& n : *near) {
    out->ids.push_back(n.chunk_id);
    out->scores.push_back(n.score);
  }

  SpaceCoverage coverage = index_->Coverage(q.user_id, answer->model, *documents);
  answer->vector_pending_documents = static_cast<int64_t>(coverage.other_space.size());
  // Documents without any vector: pending only once they have chunks (not yet embedded).
  for (const std::string& doc : coverage.without_vector) {
    auto chunks = store_->CountChunks(doc);
    if (!chunks.ok()) return chunks.status();
    if (*chunks > 0) ++answer->vector_pending_documents;
  }
  return Status();
}

Result<size_t> SearchService::Check(const SearchQuery& q) {
  if (q.top_k < 1 || q.top_k > kMaxTopK) {
    return Status::InvalidArgument("INVALID_FIELD",
                                   "top_k must be 1 to " + std::to_string(kMaxTopK));
  }
  if (IsBlank(q.text)) return InvalidQuery("query is empty");
  const size_t tokens = Tokenizer::Cl100kBase().Count(q.text);
  if (tokens > kMaxQueryTokens) {
    return InvalidQuery("query has " + std::to_string(tokens) + " tokens; at most " +
                        std::to_string(kMaxQueryTokens));
  }
  return tokens;
}

Result<SearchAnswer> SearchService::Search(const SearchQuery& q) {
  const int64_t started = clock_->MonotonicMillis();
  Result<size_t> checked = Check(q);
  if (!checked.ok()) return checked.status();
  const size_t tokens = *checked;
  SearchAnswer answer;
  answer.mode = q.mode;
  answer.query_tokens = static_cast<int64_t>(tokens);
  const bool hybrid = q.mode == SearchMode::kHybrid;
  const int depth = hybrid ? std::max(kMinFusionDepth, kFusionDepthFactor * q.top_k) : q.top_k;

  Candidates vector, keyword;
  if (q.mode != SearchMode::kKeyword) {
    if (Status s = VectorSide(q, depth, &answer, &vector); !s.ok()) return s;
  }
  if (q.mode != SearchMode::kVector) {
    auto hits = keyword_->Search(q.user_id, q.text, q.filter, depth);
    if (!hits.ok()) return hits.status();
    for (const KeywordHit& h : *hits) {
      keyword.ids.push_back(h.chunk_id);
      keyword.scores.push_back(h.score);
    }
  }

  // The ranked ids with their scores; each side's score and rank beside.
  std::vector<SearchHit> ranked;
  std::vector<std::string> ids;
  const auto side = [](const Candidates& c, size_t i, std::optional<double>* score,
                       std::optional<int>* rank) {
    *score = c.scores[i];
    *rank = static_cast<int>(i) + 1;
  };
  if (hybrid) {
    std::unordered_map<std::string, size_t> vector_pos, keyword_pos;
    for (size_t i = 0; i < vector.ids.size(); ++i) vector_pos[vector.ids[i]] = i;
    for (size_t i = 0; i < keyword.ids.size(); ++i) keyword_pos[keyword.ids[i]] = i;
    // Keyword first: on a tie it has the casting vote (rank_fusion.h). Its ranking is the
    // same whichever embedder serves the query (the hybrid fallback may swap the model
    // space), so a tie resolves alike before and after a switch.
    for (const FusedItem& f : FuseRanks({keyword.ids, vector.ids})) {
      if (ranked.size() == static_cast<size_t>(q.top_k)) break;
      SearchHit h;
      h.score = f.score;
      if (f.ranks[0] > 0) side(keyword, keyword_pos[f.id], &h.keyword_score, &h.keyword_rank);
      if (f.ranks[1] > 0) side(vector, vector_pos[f.id], &h.vector_score, &h.vector_rank);
      ranked.push_back(std::move(h));
      ids.push_back(f.id);
    }
  } else {
    const Candidates& only = q.mode == SearchMode::kVector ? vector : keyword;
    for (size_t i = 0; i < only.ids.size(); ++i) {
      SearchHit h;
      h.score = only.scores[i];
      if (q.mode == SearchMode::kVector) {
        side(only, i, &h.vector_score, &h.vector_rank);
      } else {
        side(only, i, &h.keyword_score, &h.keyword_rank);
      }
      ranked.push_back(std::move(h));
      ids.push_back(only.ids[i]);
    }
  }

  // Hydrated in one read; a chunk removed since it was ranked is left out.
  auto views = store_->GetChunkViews(q.user_id, ids);
  if (!views.ok()) return views.status();
  std::unordered_map<std::string, ChunkView*> by_id;
  for (ChunkView& v : *views) by_id[v.chunk.id] = &v;
  for (size_t i = 0; i < ids.size(); ++i) {
    auto it = by_id.find(ids[i]);
    if (it == by_id.end()) continue;
    ranked[i].view = std::move(*it->second);
    answer.hits.push_back(std::move(ranked[i]));
  }
  answer.took_ms = clock_->MonotonicMillis() - started;
  return answer;
}

}  // namespace ingestd::search
