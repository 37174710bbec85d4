// PgStore: re-embedding support — finding documents with a fallback's vectors and
// replacing a document's vectors with one model's, atomically (store.h).
#include "store/postgres/pg_rows.h"
#include "store/postgres/pg_sql.h"
#include "store/postgres/pg_store.h"
#include "store/store_codes.h"
#include "store/vector_replace.h"

namespace ingestd::pg {
namespace {

constexpr char kDocumentsWithOtherVectors[] =
    "SELECT DISTINCT document_id FROM vectors WHERE model <> $1 ORDER BY document_id LIMIT $2";
// Locks the document row first (the lock order of every writer: document, then chunks);
// QueryInt reads 1 when it exists, 0 when not.
constexpr char kLockDocument[] = "SELECT 1 FROM documents WHERE id = $1 FOR UPDATE";
constexpr char kDeleteOtherModels[] = "DELETE FROM vectors WHERE document_id = $1 AND model <> $2";
constexpr char kCountChunksWithoutModel[] =
    "SELECT count(*) FROM chunks c WHERE c.document_id = $1 AND NOT EXISTS"
    " (SELECT 1 FROM vectors v WHERE v.chunk_id = c.id AND v.model = $2)";

Result<std::string> ReadId(const PgRow& r) { return r.Text(0); }

}  // namespace

Result<std::vector<std::string>> PgStore::ListDocumentsWithOtherVectors(std::string_view model,
                                                                        int limit) {
  return Autocommit([&](PgConn& c) {
    return QueryAll<std::string>(c, kDocumentsWithOtherVectors,
                                 PgParams().Add(model).Add(vector_replace::ClampLimit(limit)),
                                 ReadId);
  });
}

Status PgStore::ReplaceDocumentVectors(std::string_view doc_id,
                                       const std::vector<VectorRecord>& vectors) {
  std::string model;
  if (Status s = vector_replace::Check(doc_id, vectors, &model); !s.ok()) return s;
  return pool_.Transaction([&](PgConn& c) -> Status {
    Result<int64_t> docs = QueryInt(c, kLockDocument, PgParams().Add(doc_id));
    if (!docs.ok()) return docs.status();
    if (*docs == 0) return store_codes::DocumentNotFound();
    // Every write in one round trip; the check after it, still inside the transaction.
    std::vector<BatchItem> batch;
    for (const VectorRecord& v : vectors) {
      batch.push_back({sql::kUpsertVector, VectorParams(v, model, doc_id, 0)});
    }
    batch.push_back({kDeleteOtherModels, PgParams().Add(doc_id).Add(model)});
    Result<std::vector<int64_t>> done = c.RunBatch(batch, /*commit=*/false);
    if (!done.ok()) return done.status();
    Result<int64_t> missing =
        QueryInt(c, kCountChunksWithoutModel, PgParams().Add(doc_id).Add(model));
    if (!missing.ok()) return missing.status();
    return *missing == 0 ? Status() : vector_replace::Incomplete(*missing);  // rolls back
  });
}

}  // namespace ingestd::pg
