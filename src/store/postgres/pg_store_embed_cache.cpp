// PgStore: the embedding cache, an index over the vectors table (store.h).
#include <algorithm>

#include "store/postgres/pg_rows.h"
#include "store/postgres/pg_store.h"
#include "store/record_codec.h"

namespace ingestd::pg {
namespace {

// $1 model, $2 dims, $3 the hashes as a JSON array, $4 user ('' = any). Newest entry of
// each hash first; the caller keeps the first. Read with binary results (text and bytea).
constexpr char kFindCached[] =
    "SELECT v.chunk_id, v.document_id, v.model, v.data, v.text_sha256 FROM vectors v"
    " JOIN chunks c ON c.id = v.chunk_id"
    " WHERE v.model = $1 AND v.dims = $2::integer"
    " AND v.text_sha256 IN (SELECT json_array_elements_text($3::json))"
    " AND ($4 = '' OR c.user_id = $4)"
    " ORDER BY v.text_sha256, v.written_at DESC, v.chunk_id DESC";
constexpr char kEvict[] =
    "UPDATE vectors SET text_sha256 = NULL WHERE (chunk_id, model) IN"
    " (SELECT chunk_id, model FROM vectors WHERE text_sha256 IS NOT NULL"
    "  ORDER BY written_at DESC, chunk_id DESC, model DESC OFFSET $1::bigint)";
constexpr char kDocumentUsage[] =
    "SELECT (SELECT count(*) FROM chunks WHERE document_id = $1), coalesce(sum(cache_hit), 0),"
    " coalesce(sum(CASE WHEN cache_hit = 0 THEN tokens ELSE 0 END), 0)::bigint,"
    " coalesce(sum(CASE WHEN cache_hit = 1 THEN tokens ELSE 0 END), 0)::bigint,"
    " coalesce(sum(saved_nanos), 0)::bigint FROM vectors WHERE document_id = $1";
constexpr char kSavings[] =
    "SELECT 0, count(*), 0, coalesce(sum(v.tokens), 0)::bigint, coalesce(sum(v.saved_nanos), "
    "0)::bigint"
    " FROM vectors v JOIN chunks c ON c.id = v.chunk_id"
    " WHERE v.cache_hit = 1 AND v.written_at >= $1::bigint AND v.written_at < $2::bigint"
    " AND ($3 = '' OR c.user_id = $3)";

Result<VectorRecord> ReadCached(const PgRow& r) {
  Result<VectorRecord> v = ReadVector(r);
  if (v.ok()) v->text_sha256 = r.Text(4);
  return v;
}

Result<EmbedUsage> QueryUsage(PgConn& c, const char* sql, const PgParams& params) {
  Result<std::optional<EmbedUsage>> row =
      QueryOne<EmbedUsage>(c, sql, params, record::ReadEmbedUsage<PgRow>);
  if (!row.ok()) return row.status();
  return row->value_or(EmbedUsage{});
}

}  // namespace

Result<std::vector<VectorRecord>> PgStore::FindCachedVectors(
    std::string_view model, int dims, const std::vector<std::string>& text_sha256s,
    std::string_view user_id) {
  const std::string hashes = record::DumpJson(text_sha256s);
  Result<std::vector<VectorRecord>> rows = Autocommit([&](PgConn& c) {
    return QueryAll<VectorRecord>(c, kFindCached,
                                  PgParams().Add(model).Add(dims).Add(hashes).Add(user_id),
                                  ReadCached, ResultFormat::kBinary);
  });
  if (!rows.ok()) return rows;
  return record::NewestPerHash(std::move(*rows));
}

Result<int64_t> PgStore::EvictEmbedCache(int64_t max_entries) {
  return Autocommit([&](PgConn& c) {
    return Execute(c, kEvict, PgParams().Add(std::max<int64_t>(0, max_entries)));
  });
}

Result<EmbedUsage> PgStore::GetEmbedUsage(std::string_view doc_id) {
  return Autocommit(
      [&](PgConn& c) { return QueryUsage(c, kDocumentUsage, PgParams().Add(doc_id)); });
}

Result<EmbedUsage> PgStore::SumEmbedSavings(std::string_view user_id, int64_t from_ms,
                                            int64_t to_ms) {
  return Autocommit([&](PgConn& c) {
    return QueryUsage(c, kSavings, PgParams().Add(from_ms).Add(to_ms).Add(user_id));
  });
}

}  // namespace ingestd::pg
