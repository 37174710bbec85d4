// SqliteStore: the listing reads of GET /api/v1/documents and of chunk vectors (store.h).
#include <nlohmann/json.hpp>

#include "store/sqlite/sqlite_query.h"
#include "store/sqlite/sqlite_rows.h"
#include "store/sqlite/sqlite_sql.h"
#include "store/sqlite/sqlite_store.h"
#include "store/summary_codec.h"

namespace ingestd::sqlite {
namespace {

Result<DocumentSummary> ReadSummary(const Stmt& s) { return record::ReadDocumentSummary(s); }
Result<JobCount> ReadCount(const Stmt& s) { return record::ReadJobCount(s); }

constexpr char kCountJobsByState[] =
    "SELECT state, status, COUNT(*) FROM jobs GROUP BY state, status ORDER BY state, status";

}  // namespace

Result<std::vector<JobCount>> SqliteStore::CountJobsByState() {
  return Read([&](SqliteConn& c) {
    return QueryAll<JobCount>(
        c, kCountJobsByState, [](Stmt&) {}, ReadCount);
  });
}

Result<std::vector<DocumentSummary>> SqliteStore::ListDocuments(std::string_view user_id,
                                                                const DocumentFilter& f) {
  const record::DocumentListArgs a = record::ListArgs(f);
  return Read([&](SqliteConn& c) {
    return QueryAll<DocumentSummary>(
        c, sql::kListDocuments,
        [&](Stmt& s) {
          s.Bind(1, user_id).Bind(2, a.status).Bind(3, a.state).Bind(4, a.filename_prefix);
          s.Bind(5, a.limit).Bind(6, a.offset);
        },
        ReadSummary);
  });
}

Result<std::vector<VectorRecord>> SqliteStore::GetChunkVectors(
    std::string_view user_id, const std::vector<std::string>& chunk_ids) {
  const std::string ids = record::DumpJson(chunk_ids);
  return Read([&](SqliteConn& c) {
    return QueryAll<VectorRecord>(
        c, sql::kGetChunkVectors, [&](Stmt& s) { s.Bind(1, user_id).Bind(2, ids); }, ReadVector);
  });
}

}  // namespace ingestd::sqlite
