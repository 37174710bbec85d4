// SqliteStore: the retrieval reads — keyword search over the FTS5 index, chunk views,
// filtered document ids and the change feeds (store.h). The index, the seq columns and the
// tombstones are written by the triggers of migration v6, inside every write transaction.
#include "store/keyword_query.h"
#include "store/retrieval_codec.h"
#include "store/sqlite/sqlite_query.h"
#include "store/sqlite/sqlite_rows.h"
#include "store/sqlite/sqlite_sql.h"
#include "store/sqlite/sqlite_store.h"
#include "store/vector_codec.h"

namespace ingestd::sqlite {
namespace {

// Binds a SearchFilter as parameters first..first+3.
void BindFilter(Stmt& s, int first, const record::SearchFilterArgs& a) {
  s.Bind(first, a.document_ids).Bind(first + 1, a.filename_prefix);
  s.Bind(first + 2, a.after_ms).Bind(first + 3, a.before_ms);
}

Result<KeywordHit> ReadHit(const Stmt& s) { return KeywordHit{s.Text(0), s.Double(1)}; }

// KeywordSearch's first try reads this many times its limit of the index's best matches.
constexpr int kKeywordTopFactor = 4;

// A row of kKeywordSearchTop: a match, and whether it is the caller's and passes the filter.
struct TopRow {
  KeywordHit hit;
  bool mine = false;
};
Result<TopRow> ReadTopRow(const Stmt& s) { return TopRow{{s.Text(0), s.Double(1)}, s.Int(2) == 1}; }
Result<std::string> ReadDocumentId(const Stmt& s) { return s.Text(0); }
Result<ChunkView> ReadView(const Stmt& s) { return record::ReadChunkView(s); }
Result<ChunkChange> ReadChunkChangeRow(const Stmt& s) { return record::ReadChunkChange(s); }

Result<VectorChange> ReadVectorChange(const Stmt& s) {
  VectorChange v;
  v.seq = s.Int(0);
  v.user_id = s.Text(1);
  v.document_id = s.Text(2);
  v.chunk_id = s.Text(3);
  v.model = s.Text(4);
  v.deleted = s.Int(5) != 0;
  if (!v.deleted) {
    std::optional<std::vector<float>> values = DecodeFloat32Le(s.Blob(6));
    if (!values) return record::CorruptRow("vector data");
    v.values = std::move(*values);
  }
  return v;
}

}  // namespace

Result<std::vector<KeywordHit>> SqliteStore::KeywordSearch(std::string_view user_id,
                                                           std::string_view query,
                                                           const SearchFilter& f, int limit) {
  const std::string match = keyword_query::Fts5Expression(keyword_query::Terms(query));
  limit = record::ClampSearchLimit(limit);
  if (match.empty() || limit == 0) return std::vector<KeywordHit>{};
  const record::SearchFilterArgs a = record::FilterArgs(f);
  const auto bind = [&](Stmt& s) {
    s.Bind(1, user_id).Bind(2, match);
    BindFilter(s, 3, a);
    s.Bind(7, limit);
  };
  return Read(
      [&](SqliteConn& c) -> Result<std::vector<KeywordHit>> {
        // A word as common as "the" matches most chunks, and joining every match to its chunk
        // and document (kKeywordSearch) cost 2/3 as much again as ranking them (r-doc-pdf).
        // The index's best few are usually the caller's best: taken when they hold `limit`
        // of the caller's scoring above the cut (at the cut, equal scores may be missing).
        const int top = limit * kKeywordTopFactor;
        auto rows = QueryAll<TopRow>(
            c, sql::kKeywordSearchTop,
            [&](Stmt& s) {
              bind(s);
              s.Bind(8, top);
            },
            ReadTopRow);
        if (!rows.ok()) return rows.status();
        const bool cut = rows->size() == static_cast<size_t>(top);
        std::vector<KeywordHit> hits;
        for (const TopRow& r : *rows) {
          if (static_cast<int>(hits.size()) == limit) break;
          if (cut && r.hit.score <= rows->back().hit.score) break;
          if (r.mine) hits.push_back(r.hit);
        }
        if (!cut || static_cast<int>(hits.size()) == limit) return hits;
        return QueryAll<KeywordHit>(c, sql::kKeywordSearch, bind, ReadHit);
      },
      /*consistent=*/true);
}

Result<std::vector<ChunkView>> SqliteStore::GetChunkViews(
    std::string_view user_id, const std::vector<std::string>& chunk_ids) {
  if (chunk_ids.empty()) return std::vector<ChunkView>{};
  const std::string ids = record::DumpJson(chunk_ids);
  Result<std::vector<ChunkView>> found = Read([&](SqliteConn& c) {
    return QueryAll<ChunkView>(
        c, sql::kGetChunkViews, [&](Stmt& s) { s.Bind(1, user_id).Bind(2, ids); }, ReadView);
  });
  if (!found.ok()) return found.status();
  return record::InAskedOrder(std::move(*found), chunk_ids);
}

Result<std::vector<std::string>> SqliteStore::ListDocumentIds(std::string_view user_id,
                                                              const SearchFilter& f) {
  const record::SearchFilterArgs a = record::FilterArgs(f);
  return Read([&](SqliteConn& c) {
    return QueryAll<std::string>(
        c, sql::kListDocumentIds,
        [&](Stmt& s) {
          s.Bind(1, user_id);
          BindFilter(s, 2, a);
        },
        ReadDocumentId);
  });
}

Result<std::vector<VectorChange>> SqliteStore::ListVectorChanges(int64_t after_seq, int limit) {
  limit = record::ClampChangeLimit(limit);
  return Read([&](SqliteConn& c) {
    return QueryAll<VectorChange>(
        c, sql::kListVectorChanges, [&](Stmt& s) { s.Bind(1, after_seq).Bind(2, limit); },
        ReadVectorChange);
  });
}

Result<std::vector<ChunkChange>> SqliteStore::ListChunkChanges(std::string_view user_id,
                                                               int64_t after_seq, int limit) {
  limit = record::ClampChangeLimit(limit);
  return Read([&](SqliteConn& c) {
    return QueryAll<ChunkChange>(
        c, sql::kListChunkChanges,
        [&](Stmt& s) { s.Bind(1, user_id).Bind(2, after_seq).Bind(3, limit); }, ReadChunkChangeRow);
  });
}

Result<std::vector<ChunkChange>> SqliteStore::ListAllChunkChanges(int64_t after_seq, int limit) {
  limit = record::ClampChangeLimit(limit);
  return Read([&](SqliteConn& c) {
    return QueryAll<ChunkChange>(
        c, sql::kListAllChunkChanges, [&](Stmt& s) { s.Bind(1, after_seq).Bind(2, limit); },
        ReadChunkChangeRow);
  });
}

}  // namespace ingestd::sqlite
