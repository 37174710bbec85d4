// SqliteStore: the embedding cache, an index over the vectors table (store.h).
#include <algorithm>

#include "store/record_codec.h"
#include "store/sqlite/sqlite_query.h"
#include "store/sqlite/sqlite_rows.h"
#include "store/sqlite/sqlite_store.h"

namespace ingestd::sqlite {
namespace {

// ?1 model, ?2 dims, ?3 the hashes as a JSON array, ?4 user ('' = any). Newest entry of
// each hash first; the caller keeps the first.
constexpr char kFindCached[] =
    "SELECT v.chunk_id, v.document_id, v.model, v.data, v.text_sha256 FROM vectors v"
    " JOIN chunks c ON c.id = v.chunk_id"
    " WHERE v.model = ?1 AND v.dims = ?2 AND v.text_sha256 IN (SELECT value FROM json_each(?3))"
    " AND (?4 = '' OR c.user_id = ?4)"
    " ORDER BY v.text_sha256, v.written_at DESC, v.chunk_id DESC";
constexpr char kEvict[] =
    "UPDATE vectors SET text_sha256 = NULL WHERE (chunk_id, model) IN"
    " (SELECT chunk_id, model FROM vectors WHERE text_sha256 IS NOT NULL"
    "  ORDER BY written_at DESC, chunk_id DESC, model DESC LIMIT -1 OFFSET ?1)";
constexpr char kDocumentUsage[] =
    "SELECT (SELECT count(*) FROM chunks WHERE document_id = ?1), coalesce(sum(cache_hit), 0),"
    " coalesce(sum(CASE WHEN cache_hit = 0 THEN tokens ELSE 0 END), 0),"
    " coalesce(sum(CASE WHEN cache_hit = 1 THEN tokens ELSE 0 END), 0),"
    " coalesce(sum(saved_nanos), 0) FROM vectors WHERE document_id = ?1";
constexpr char kSavings[] =
    "SELECT 0, count(*), 0, coalesce(sum(v.tokens), 0), coalesce(sum(v.saved_nanos), 0)"
    " FROM vectors v JOIN chunks c ON c.id = v.chunk_id"
    " WHERE v.cache_hit = 1 AND v.written_at >= ?1 AND v.written_at < ?2"
    " AND (?3 = '' OR c.user_id = ?3)";

Result<VectorRecord> ReadCached(const Stmt& s) {
  Result<VectorRecord> v = ReadVector(s);
  if (v.ok()) v->text_sha256 = s.Text(4);
  return v;
}

// The one row of an aggregate.
template <typename Binder>
Result<EmbedUsage> QueryUsage(SqliteConn& c, const char* sql, Binder&& bind) {
  Result<std::optional<EmbedUsage>> row =
      QueryOne<EmbedUsage>(c, sql, bind, record::ReadEmbedUsage<Stmt>);
  if (!row.ok()) return row.status();
  return row->value_or(EmbedUsage{});
}

}  // namespace

Result<std::vector<VectorRecord>> SqliteStore::FindCachedVectors(
    std::string_view model, int dims, const std::vector<std::string>& text_sha256s,
    std::string_view user_id) {
  const std::string hashes = record::DumpJson(text_sha256s);
  Result<std::vector<VectorRecord>> rows = Read([&](SqliteConn& c) {
    return QueryAll<VectorRecord>(
        c, kFindCached,
        [&](Stmt& s) { s.Bind(1, model).Bind(2, dims).Bind(3, hashes).Bind(4, user_id); },
        ReadCached);
  });
  if (!rows.ok()) return rows;
  return record::NewestPerHash(std::move(*rows));
}

Result<int64_t> SqliteStore::EvictEmbedCache(int64_t max_entries) {
  return Write([&](SqliteConn& c) {
    return Execute(c, kEvict, [&](Stmt& s) { s.Bind(1, std::max<int64_t>(0, max_entries)); });
  });
}

Result<EmbedUsage> SqliteStore::GetEmbedUsage(std::string_view doc_id) {
  return Read([&](SqliteConn& c) {
    return QueryUsage(c, kDocumentUsage, [&](Stmt& s) { s.Bind(1, doc_id); });
  });
}

Result<EmbedUsage> SqliteStore::SumEmbedSavings(std::string_view user_id, int64_t from_ms,
                                                int64_t to_ms) {
  return Read([&](SqliteConn& c) {
    return QueryUsage(c, kSavings,
                      [&](Stmt& s) { s.Bind(1, from_ms).Bind(2, to_ms).Bind(3, user_id); });
  });
}

}  // namespace ingestd::sqlite
