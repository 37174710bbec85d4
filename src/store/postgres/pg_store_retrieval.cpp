// PgStore: the retrieval reads — keyword search over the tsvector index, chunk views,
// filtered document ids and the change feeds (store.h). The index column, the seq columns
// and the tombstones are written by migration v6's generated column and triggers, inside
// every write transaction; pg_migrations.cpp says why paging by seq never skips a row.
#include <cstdlib>

#include "store/keyword_query.h"
#include "store/postgres/pg_rows.h"
#include "store/postgres/pg_sql.h"
#include "store/postgres/pg_store.h"
#include "store/retrieval_codec.h"
#include "store/vector_codec.h"

namespace ingestd::pg {
namespace {

PgParams& AddFilter(PgParams& p, const record::SearchFilterArgs& a) {
  return p.Add(a.document_ids).Add(a.filename_prefix).Add(a.after_ms).Add(a.before_ms);
}

Result<KeywordHit> ReadHit(const PgRow& r) {
  return KeywordHit{r.Text(0), std::strtod(r.Text(1).c_str(), nullptr)};
}
Result<std::string> ReadDocumentId(const PgRow& r) { return r.Text(0); }
Result<ChunkView> ReadView(const PgRow& r) { return record::ReadChunkView(r); }
Result<ChunkChange> ReadChunkChangeRow(const PgRow& r) { return record::ReadChunkChange(r); }

// A kBinary row of kListVectorChanges.
Result<VectorChange> ReadVectorChange(const PgRow& r) {
  VectorChange v;
  v.seq = r.Int(0);
  v.user_id = r.Text(1);
  v.document_id = r.Text(2);
  v.chunk_id = r.Text(3);
  v.model = r.Text(4);
  v.deleted = r.Int(5) != 0;
  if (!v.deleted) {
    std::optional<std::vector<float>> values = DecodeFloat32Le(r.res.Bytes(r.row, 6));
    if (!values) return record::CorruptRow("vector data");
    v.values = std::move(*values);
  }
  return v;
}

}  // namespace

Result<std::vector<KeywordHit>> PgStore::KeywordSearch(std::string_view user_id,
                                                       std::string_view query,
                                                       const SearchFilter& f, int limit) {
  const std::vector<std::string> terms = keyword_query::Terms(query);
  limit = record::ClampSearchLimit(limit);
  if (terms.empty() || limit == 0) return std::vector<KeywordHit>{};
  const std::string words = record::DumpJson(terms);
  PgParams params;
  params.Add(user_id).Add(words);
  AddFilter(params, record::FilterArgs(f)).Add(limit);
  return Autocommit(
      [&](PgConn& c) { return QueryAll<KeywordHit>(c, sql::kKeywordSearch, params, ReadHit); });
}

Result<std::vector<ChunkView>> PgStore::GetChunkViews(std::string_view user_id,
                                                      const std::vector<std::string>& chunk_ids) {
  if (chunk_ids.empty()) return std::vector<ChunkView>{};
  const std::string ids = record::DumpJson(chunk_ids);
  Result<std::vector<ChunkView>> found = Autocommit([&](PgConn& c) {
    return QueryAll<ChunkView>(c, sql::kGetChunkViews, PgParams().Add(user_id).Add(ids), ReadView);
  });
  if (!found.ok()) return found.status();
  return record::InAskedOrder(std::move(*found), chunk_ids);
}

Result<std::vector<std::string>> PgStore::ListDocumentIds(std::string_view user_id,
                                                          const SearchFilter& f) {
  PgParams params;
  params.Add(user_id);
  AddFilter(params, record::FilterArgs(f));
  return Autocommit([&](PgConn& c) {
    return QueryAll<std::string>(c, sql::kListDocumentIds, params, ReadDocumentId);
  });
}

Result<std::vector<VectorChange>> PgStore::ListVectorChanges(int64_t after_seq, int limit) {
  limit = record::ClampChangeLimit(limit);
  return Autocommit([&](PgConn& c) {
    return QueryAll<VectorChange>(c, sql::kListVectorChanges, PgParams().Add(after_seq).Add(limit),
                                  ReadVectorChange, ResultFormat::kBinary);
  });
}

Result<std::vector<ChunkChange>> PgStore::ListChunkChanges(std::string_view user_id,
                                                           int64_t after_seq, int limit) {
  limit = record::ClampChangeLimit(limit);
  return Autocommit([&](PgConn& c) {
    return QueryAll<ChunkChange>(c, sql::kListChunkChanges,
                                 PgParams().Add(user_id).Add(after_seq).Add(limit),
                                 ReadChunkChangeRow);
  });
}

Result<std::vector<ChunkChange>> PgStore::ListAllChunkChanges(int64_t after_seq, int limit) {
  limit = record::ClampChangeLimit(limit);
  return Autocommit([&](PgConn& c) {
    return QueryAll<ChunkChange>(c, sql::kListAllChunkChanges, PgParams().Add(after_seq).Add(limit),
                                 ReadChunkChangeRow);
  });
}

std::unique_ptr<StoreSubscription> PgStore::SubscribeVectorChanges(std::function<void()> fn) {
  return vector_listener_.Subscribe(std::move(fn));
}

}  // namespace ingestd::pg
