// PgStore: the listing reads of GET /api/v1/documents and of chunk vectors (store.h).
#include <nlohmann/json.hpp>

#include "store/postgres/pg_rows.h"
#include "store/postgres/pg_sql.h"
#include "store/postgres/pg_store.h"
#include "store/summary_codec.h"

namespace ingestd::pg {
namespace {

Result<DocumentSummary> ReadSummary(const PgRow& r) { return record::ReadDocumentSummary(r); }
Result<JobCount> ReadCount(const PgRow& r) { return record::ReadJobCount(r); }

constexpr char kCountJobsByState[] =
    "SELECT state, status, COUNT(*) FROM jobs GROUP BY state, status ORDER BY state, status";

}  // namespace

Result<std::vector<JobCount>> PgStore::CountJobsByState() {
  return Autocommit(
      [&](PgConn& c) { return QueryAll<JobCount>(c, kCountJobsByState, PgParams(), ReadCount); });
}

Result<std::vector<DocumentSummary>> PgStore::ListDocuments(std::string_view user_id,
                                                            const DocumentFilter& f) {
  const record::DocumentListArgs a = record::ListArgs(f);
  return Autocommit([&](PgConn& c) {
    return QueryAll<DocumentSummary>(c, sql::kListDocuments,
                                     PgParams()
                                         .Add(user_id)
                                         .Add(a.status)
                                         .Add(a.state)
                                         .Add(a.filename_prefix)
                                         .Add(a.limit)
                                         .Add(a.offset),
                                     ReadSummary);
  });
}

Result<std::vector<VectorRecord>> PgStore::GetChunkVectors(
    std::string_view user_id, const std::vector<std::string>& chunk_ids) {
  const std::string ids = record::DumpJson(chunk_ids);
  return Autocommit([&](PgConn& c) {
    return QueryAll<VectorRecord>(c, sql::kGetChunkVectors, PgParams().Add(user_id).Add(ids),
                                  ReadVector, ResultFormat::kBinary);
  });
}

}  // namespace ingestd::pg
