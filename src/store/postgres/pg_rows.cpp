#include "store/postgres/pg_rows.h"

#include "store/postgres/pg_sql.h"
#include "store/vector_codec.h"

namespace ingestd::pg {

Result<VectorRecord> ReadVector(const PgRow& r) {
  VectorRecord v;
  v.chunk_id = r.Text(0);
  v.document_id = r.Text(1);
  v.model = r.Text(2);
  std::optional<std::vector<float>> values = DecodeFloat32Le(r.res.Bytes(r.row, 3));
  if (!values) return record::CorruptRow("vector data");
  v.values = std::move(*values);
  return v;
}

PgParams VectorParams(const VectorRecord& v, std::string_view model, std::string_view doc_id,
                      int64_t now_ms) {
  PgParams p;
  p.Add(v.chunk_id).Add(model).Add(doc_id).Add(static_cast<int64_t>(v.values.size()));
  p.AddBytes(EncodeFloat32Le(v.values));
  if (v.text_sha256.empty()) {
    p.AddNull();
  } else {
    p.Add(v.text_sha256);
  }
  p.Add(v.tokens).Add(v.cache_hit ? 1 : 0).Add(v.saved_nanos).Add(now_ms);
  return p;
}

PgParams JobParams(const Job& j) {
  PgParams p;
  p.Add(j.id).Add(j.document_id).Add(j.user_id).Add(ToString(j.status)).Add(ToString(j.state));
  p.Add(j.retry_count);
  if (j.last_error) {
    p.Add(record::LastErrorToJson(*j.last_error));
  } else {
    p.AddNull();
  }
  p.Add(j.correlation_id).Add(j.service_mode).Add(j.claimed_by).Add(j.lease_expires_at_ms);
  p.Add(j.retry_at_ms).Add(j.stage_pct).Add(record::TimingsToJson(j));
  p.Add(j.created_at_ms).Add(j.updated_at_ms).Add(j.processing_priority);
  p.Add(record::ObjectToJson(j.router_config)).Add(record::ObjectToJson(j.cost_estimate));
  p.Add(record::ObjectToJson(j.service_health)).Add(j.cost_tracking_enabled ? 1 : 0);
  p.Add(j.fallback_triggered ? 1 : 0).Add(j.actual_parse_cost_nanos);
  p.Add(j.actual_embed_cost_nanos).Add(record::ObjectToJson(j.stage_routes));
  p.Add(j.traceparent).Add(j.tracestate);
  return p;
}

PgParams DocumentParams(const Document& d) {
  PgParams p;
  p.Add(d.id).Add(d.user_id).Add(d.filename).Add(d.mime).Add(d.size_bytes).Add(d.sha256);
  p.Add(d.blob_key).Add(d.page_count).Add(d.created_at_ms);
  return p;
}

PgParams ChunkParams(const Chunk& c, const std::string& document_id) {
  PgParams p;
  p.Add(c.id).Add(document_id).Add(c.ord).Add(c.text).Add(c.heading_path).Add(c.token_count);
  p.Add(c.char_start).Add(c.char_end).Add(c.page_start).Add(c.page_end);
  return p;
}

PgParams EventParams(const Event& e) {
  PgParams p;
  p.Add(e.job_id).Add(e.correlation_id).Add(e.type).Add(e.code).Add(e.stage);
  p.Add(record::DumpJson(e.payload)).Add(e.at_ms);
  return p;
}

Status InsertEvent(PgConn& conn, const Event& e) {
  return Run(conn, sql::kInsertEvent, EventParams(e));
}

Result<int64_t> QueryInt(PgConn& conn, const char* sql, const PgParams& params) {
  Result<PgResult> res = conn.Query(sql, params);
  if (!res.ok()) return res.status();
  return res->rows() > 0 ? res->Int(0, 0) : int64_t{0};
}

Result<int64_t> Execute(PgConn& conn, const char* sql, const PgParams& params) {
  Result<PgResult> res = conn.Query(sql, params);
  if (!res.ok()) return res.status();
  return res->Affected();
}

Status Run(PgConn& conn, const char* sql, const PgParams& params) {
  Result<PgResult> res = conn.Query(sql, params);
  return res.ok() ? Status() : res.status();
}

}  // namespace ingestd::pg
