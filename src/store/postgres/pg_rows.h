// Rows of the column lists in pg_sql.h ↔ the domain structs (the mapping itself is shared
// with SQLite: store/record_codec.h), and the small query helpers the store methods use.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/model.h"
#include "core/status.h"
#include "db/pg_conn.h"
#include "store/record_codec.h"

namespace ingestd::pg {

// One row of a result, in the Row shape record_codec.h reads.
struct PgRow {
  const PgResult& res;
  int row;
  std::string Text(int col) const { return res.Text(row, col); }
  int64_t Int(int col) const { return res.Int(row, col); }
  bool IsNull(int col) const { return res.IsNull(row, col); }
};

template <typename T>
using RowReader = Result<T> (*)(const PgRow&);

inline Result<Job> ReadJob(const PgRow& r) { return record::ReadJob(r); }
inline Result<Document> ReadDocument(const PgRow& r) { return record::ReadDocument(r); }
inline Result<Chunk> ReadChunk(const PgRow& r) { return record::ReadChunk(r); }
inline Result<Event> ReadEvent(const PgRow& r) { return record::ReadEvent(r); }
// chunk_id, document_id, model, data from a kBinary result (kGetVectors).
Result<VectorRecord> ReadVector(const PgRow& r);

// Parameters in the order of the column lists (kInsertJob, kInsertDocument, kInsertChunk).
PgParams JobParams(const Job& j);
PgParams DocumentParams(const Document& d);
PgParams ChunkParams(const Chunk& c, const std::string& document_id);
// sql::kUpsertVector's $1-$10: v in `model` of document doc_id, written at now_ms.
PgParams VectorParams(const VectorRecord& v, std::string_view model, std::string_view doc_id,
                      int64_t now_ms);
PgParams EventParams(const Event& e);
// Inserts e (kInsertEvent); the id comes from the identity column.
Status InsertEvent(PgConn& conn, const Event& e);

// At most one row (the first); nullopt when there is none.
template <typename T>
Result<std::optional<T>> QueryOne(PgConn& conn, const char* sql, const PgParams& params,
                                  RowReader<T> read) {
  Result<PgResult> res = conn.Query(sql, params);
  if (!res.ok()) return res.status();
  if (res->rows() == 0) return std::optional<T>();
  Result<T> value = read(PgRow{*res, 0});
  if (!value.ok()) return value.status();
  return std::optional<T>(std::move(*value));
}

template <typename T>
Result<std::vector<T>> QueryAll(PgConn& conn, const char* sql, const PgParams& params,
                                RowReader<T> read, ResultFormat format = ResultFormat::kText) {
  Result<PgResult> res = conn.Query(sql, params, format);
  if (!res.ok()) return res.status();
  std::vector<T> out;
  out.reserve(static_cast<size_t>(res->rows()));
  for (int i = 0; i < res->rows(); ++i) {
    Result<T> value = read(PgRow{*res, i});
    if (!value.ok()) return value.status();
    out.push_back(std::move(*value));
  }
  return out;
}

// A single integer (count(*)); 0 when there is no row.
Result<int64_t> QueryInt(PgConn& conn, const char* sql, const PgParams& params);
// Runs a statement; returns the number of rows it changed.
Result<int64_t> Execute(PgConn& conn, const char* sql, const PgParams& params);
// Runs a statement, ignoring its rows.
Status Run(PgConn& conn, const char* sql, const PgParams& params);

}  // namespace ingestd::pg
