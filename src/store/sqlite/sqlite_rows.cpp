#include "store/sqlite/sqlite_rows.h"

#include "store/record_codec.h"
#include "store/sqlite/sqlite_query.h"
#include "store/sqlite/sqlite_sql.h"
#include "store/vector_codec.h"

namespace ingestd::sqlite {

std::string DumpJson(const nlohmann::json& j) { return record::DumpJson(j); }
std::string LastErrorToJson(const LastError& e) { return record::LastErrorToJson(e); }

Result<Job> ReadJob(const Stmt& s) { return record::ReadJob(s); }
Result<Document> ReadDocument(const Stmt& s) { return record::ReadDocument(s); }
Result<Chunk> ReadChunk(const Stmt& s) { return record::ReadChunk(s); }
Result<Event> ReadEvent(const Stmt& s) { return record::ReadEvent(s); }

Result<VectorRecord> ReadVector(const Stmt& s) {
  VectorRecord v;
  v.chunk_id = s.Text(0);
  v.document_id = s.Text(1);
  v.model = s.Text(2);
  std::optional<std::vector<float>> values = DecodeFloat32Le(s.Blob(3));
  if (!values) return record::CorruptRow("vector data");
  v.values = std::move(*values);
  return v;
}

void BindVector(Stmt& s, const VectorRecord& v, std::string_view model, std::string_view doc_id,
                int64_t now_ms) {
  s.Bind(1, v.chunk_id).Bind(2, model).Bind(3, doc_id);
  s.Bind(4, static_cast<int64_t>(v.values.size())).BindBlob(5, EncodeFloat32Le(v.values));
  if (v.text_sha256.empty()) {
    s.BindNull(6);
  } else {
    s.Bind(6, v.text_sha256);
  }
  s.Bind(7, v.tokens).Bind(8, v.cache_hit ? 1 : 0).Bind(9, v.saved_nanos).Bind(10, now_ms);
}

void BindJob(Stmt& s, const Job& j) {
  s.Bind(1, j.id).Bind(2, j.document_id).Bind(3, j.user_id);
  s.Bind(4, ToString(j.status)).Bind(5, ToString(j.state)).Bind(6, j.retry_count);
  if (j.last_error) {
    s.Bind(7, LastErrorToJson(*j.last_error));
  } else {
    s.BindNull(7);
  }
  s.Bind(8, j.correlation_id).Bind(9, j.service_mode).Bind(10, j.claimed_by);
  s.Bind(11, j.lease_expires_at_ms).Bind(12, j.retry_at_ms).Bind(13, j.stage_pct);
  s.Bind(14, record::TimingsToJson(j));
  s.Bind(15, j.created_at_ms).Bind(16, j.updated_at_ms).Bind(17, j.processing_priority);
  s.Bind(18, record::ObjectToJson(j.router_config)).Bind(19, record::ObjectToJson(j.cost_estimate));
  s.Bind(20, record::ObjectToJson(j.service_health)).Bind(21, j.cost_tracking_enabled ? 1 : 0);
  s.Bind(22, j.fallback_triggered ? 1 : 0).Bind(23, j.actual_parse_cost_nanos);
  s.Bind(24, j.actual_embed_cost_nanos).Bind(25, record::ObjectToJson(j.stage_routes));
  s.Bind(26, j.traceparent).Bind(27, j.tracestate);
}

void BindDocument(Stmt& s, const Document& d) {
  s.Bind(1, d.id).Bind(2, d.user_id).Bind(3, d.filename).Bind(4, d.mime);
  s.Bind(5, d.size_bytes).Bind(6, d.sha256).Bind(7, d.blob_key).Bind(8, d.page_count);
  s.Bind(9, d.created_at_ms);
}

void BindChunk(Stmt& s, const Chunk& c) {
  s.Bind(1, c.id).Bind(2, c.document_id).Bind(3, c.ord).Bind(4, c.text);
  s.Bind(5, c.heading_path).Bind(6, c.token_count).Bind(7, c.char_start).Bind(8, c.char_end);
  s.Bind(9, c.page_start).Bind(10, c.page_end);
}

void BindEvent(Stmt& s, const Event& e) {
  s.Bind(1, e.job_id).Bind(2, e.correlation_id).Bind(3, e.type).Bind(4, e.code);
  s.Bind(5, e.stage).Bind(6, DumpJson(e.payload)).Bind(7, e.at_ms);
}

Status InsertEvent(SqliteConn& conn, const Event& e) {
  return Run(conn, sql::kInsertEvent, [&](Stmt& s) { BindEvent(s, e); });
}

}  // namespace ingestd::sqlite
