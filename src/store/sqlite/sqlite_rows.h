// Conversions between rows of the column lists in sqlite_sql.h and the domain structs.
#pragma once

#include <optional>
#include <string>

#include "core/model.h"
#include "core/status.h"
#include "db/sqlite_db.h"

namespace ingestd::sqlite {

// Read a row whose columns start at 0 in the order of the matching column list. Fail with
// kInternal "DB_CORRUPT_ROW" when a stored value cannot be mapped back (unknown status,
// malformed JSON, vector bytes of a bad length).
Result<Job> ReadJob(const Stmt& s);
Result<Document> ReadDocument(const Stmt& s);
Result<Chunk> ReadChunk(const Stmt& s);
Result<Event> ReadEvent(const Stmt& s);
// chunk_id, document_id, model, data.
Result<VectorRecord> ReadVector(const Stmt& s);

// Binds every job column as ?1..?25 (kInsertJob).
void BindJob(Stmt& s, const Job& j);
void BindDocument(Stmt& s, const Document& d);
void BindChunk(Stmt& s, const Chunk& c);
// Binds sql::kUpsertVector's ?1-?10: v in `model` of document doc_id, written at now_ms.
void BindVector(Stmt& s, const VectorRecord& v, std::string_view model, std::string_view doc_id,
                int64_t now_ms);
void BindEvent(Stmt& s, const Event& e);

// Inserts e (kInsertEvent); the id is assigned by the database.
Status InsertEvent(SqliteConn& conn, const Event& e);

// Compact JSON text; invalid UTF-8 is replaced rather than thrown on.
std::string DumpJson(const nlohmann::json& j);
// last_error column text: {"code","message","stage","at"}; NULL when absent.
std::string LastErrorToJson(const LastError& e);

}  // namespace ingestd::sqlite
