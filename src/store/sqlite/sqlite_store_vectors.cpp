// SqliteStore: re-embedding support — finding documents with a fallback's vectors and
// replacing a document's vectors with one model's, atomically (store.h).
#include "store/sqlite/sqlite_query.h"
#include "store/sqlite/sqlite_rows.h"
#include "store/sqlite/sqlite_sql.h"
#include "store/sqlite/sqlite_store.h"
#include "store/store_codes.h"
#include "store/vector_replace.h"

namespace ingestd::sqlite {
namespace {

constexpr char kDocumentsWithOtherVectors[] =
    "SELECT DISTINCT document_id FROM vectors WHERE model <> ?1 ORDER BY document_id LIMIT ?2";
constexpr char kCountDocument[] = "SELECT count(*) FROM documents WHERE id = ?1";
constexpr char kDeleteOtherModels[] = "DELETE FROM vectors WHERE document_id = ?1 AND model <> ?2";
constexpr char kCountChunksWithoutModel[] =
    "SELECT count(*) FROM chunks c WHERE c.document_id = ?1 AND NOT EXISTS"
    " (SELECT 1 FROM vectors v WHERE v.chunk_id = c.id AND v.model = ?2)";

Result<std::string> ReadId(const Stmt& s) { return s.Text(0); }

}  // namespace

Result<std::vector<std::string>> SqliteStore::ListDocumentsWithOtherVectors(std::string_view model,
                                                                            int limit) {
  return Read([&](SqliteConn& c) {
    return QueryAll<std::string>(
        c, kDocumentsWithOtherVectors,
        [&](Stmt& s) { s.Bind(1, model).Bind(2, vector_replace::ClampLimit(limit)); }, ReadId);
  });
}

Status SqliteStore::ReplaceDocumentVectors(std::string_view doc_id,
                                           const std::vector<VectorRecord>& vectors) {
  std::string model;
  if (Status s = vector_replace::Check(doc_id, vectors, &model); !s.ok()) return s;
  return Write([&](SqliteConn& c) -> Status {
    Result<int64_t> docs = QueryInt(c, kCountDocument, [&](Stmt& s) { s.Bind(1, doc_id); });
    if (!docs.ok()) return docs.status();
    if (*docs == 0) return store_codes::DocumentNotFound();
    for (const VectorRecord& v : vectors) {
      Status s = Run(c, sql::kUpsertVector, [&](Stmt& st) { BindVector(st, v, model, doc_id, 0); });
      if (!s.ok()) return s;
    }
    Status s = Run(c, kDeleteOtherModels, [&](Stmt& st) { st.Bind(1, doc_id).Bind(2, model); });
    if (!s.ok()) return s;
    Result<int64_t> missing =
        QueryInt(c, kCountChunksWithoutModel, [&](Stmt& st) { st.Bind(1, doc_id).Bind(2, model); });
    if (!missing.ok()) return missing.status();
    return *missing == 0 ? Status() : vector_replace::Incomplete(*missing);  // rolls back
  });
}

}  // namespace ingestd::sqlite
