#include "store/sqlite/sqlite_rows.h"

#include "store/sqlite/sqlite_query.h"
#include "store/sqlite/sqlite_sql.h"
#include "store/vector_codec.h"

namespace ingestd::sqlite {
namespace {

Status CorruptRow(std::string_view what) {
  return Status::Internal("DB_CORRUPT_ROW",
                          std::string("stored value is malformed: ") + std::string(what));
}

// Parses a JSON column; nullopt when it is not valid JSON.
std::optional<nlohmann::json> ParseJson(const std::string& text) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return std::nullopt;
  return j;
}

std::optional<LastError> LastErrorFromJson(const nlohmann::json& j) {
  if (!j.is_object()) return std::nullopt;
  LastError e;
  e.code = j.value("code", "");
  e.message = j.value("message", "");
  e.stage = j.value("stage", "");
  e.at_ms = j.value("at", int64_t{0});
  return e;
}

}  // namespace

std::string DumpJson(const nlohmann::json& j) {
  // Replace invalid UTF-8 (provider messages, filenames) instead of throwing.
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string LastErrorToJson(const LastError& e) {
  return DumpJson({{"code", e.code}, {"message", e.message}, {"stage", e.stage}, {"at", e.at_ms}});
}

Result<Job> ReadJob(const Stmt& s) {
  Job j;
  j.id = s.Text(0);
  j.document_id = s.Text(1);
  j.user_id = s.Text(2);
  std::optional<JobStatus> status = ParseJobStatus(s.Text(3));
  std::optional<QueueState> state = ParseQueueState(s.Text(4));
  if (!status || !state) return CorruptRow("job status/state");
  j.status = *status;
  j.state = *state;
  j.retry_count = static_cast<int>(s.Int(5));
  if (!s.IsNull(6)) {
    std::optional<nlohmann::json> err = ParseJson(s.Text(6));
    if (!err) return CorruptRow("job last_error");
    j.last_error = LastErrorFromJson(*err);
    if (!j.last_error) return CorruptRow("job last_error");
  }
  j.correlation_id = s.Text(7);
  j.service_mode = s.Text(8);
  j.claimed_by = s.Text(9);
  j.lease_expires_at_ms = s.Int(10);
  j.retry_at_ms = s.Int(11);
  j.stage_pct = static_cast<int>(s.Int(12));
  std::optional<nlohmann::json> timings = ParseJson(s.Text(13));
  if (!timings || !timings->is_object()) return CorruptRow("job timings");
  j.timings = std::move(*timings);
  j.created_at_ms = s.Int(14);
  j.updated_at_ms = s.Int(15);
  return j;
}

Result<Document> ReadDocument(const Stmt& s) {
  Document d;
  d.id = s.Text(0);
  d.user_id = s.Text(1);
  d.filename = s.Text(2);
  d.mime = s.Text(3);
  d.size_bytes = s.Int(4);
  d.sha256 = s.Text(5);
  d.blob_key = s.Text(6);
  d.page_count = static_cast<int>(s.Int(7));
  d.created_at_ms = s.Int(8);
  return d;
}

Result<Chunk> ReadChunk(const Stmt& s) {
  Chunk c;
  c.id = s.Text(0);
  c.document_id = s.Text(1);
  c.ord = static_cast<int>(s.Int(2));
  c.text = s.Text(3);
  c.heading_path = s.Text(4);
  c.token_count = static_cast<int>(s.Int(5));
  c.char_start = s.Int(6);
  c.char_end = s.Int(7);
  return c;
}

Result<Event> ReadEvent(const Stmt& s) {
  Event e;
  e.id = s.Int(0);
  e.job_id = s.Text(1);
  e.correlation_id = s.Text(2);
  e.type = s.Text(3);
  e.code = s.Text(4);
  e.stage = s.Text(5);
  std::optional<nlohmann::json> payload = ParseJson(s.Text(6));
  if (!payload) return CorruptRow("event payload");
  e.payload = std::move(*payload);
  e.at_ms = s.Int(7);
  return e;
}

Result<VectorRecord> ReadVector(const Stmt& s) {
  VectorRecord v;
  v.chunk_id = s.Text(0);
  v.document_id = s.Text(1);
  v.model = s.Text(2);
  std::optional<std::vector<float>> values = DecodeFloat32Le(s.Blob(3));
  if (!values) return CorruptRow("vector data");
  v.values = std::move(*values);
  return v;
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
  s.Bind(14, j.timings.is_object() ? DumpJson(j.timings) : std::string("{}"));
  s.Bind(15, j.created_at_ms).Bind(16, j.updated_at_ms);
}

void BindDocument(Stmt& s, const Document& d) {
  s.Bind(1, d.id).Bind(2, d.user_id).Bind(3, d.filename).Bind(4, d.mime);
  s.Bind(5, d.size_bytes).Bind(6, d.sha256).Bind(7, d.blob_key).Bind(8, d.page_count);
  s.Bind(9, d.created_at_ms);
}

void BindChunk(Stmt& s, const Chunk& c) {
  s.Bind(1, c.id).Bind(2, c.document_id).Bind(3, c.ord).Bind(4, c.text);
  s.Bind(5, c.heading_path).Bind(6, c.token_count).Bind(7, c.char_start).Bind(8, c.char_end);
}

void BindEvent(Stmt& s, const Event& e) {
  s.Bind(1, e.job_id).Bind(2, e.correlation_id).Bind(3, e.type).Bind(4, e.code);
  s.Bind(5, e.stage).Bind(6, DumpJson(e.payload)).Bind(7, e.at_ms);
}

Status InsertEvent(SqliteConn& conn, const Event& e) {
  return Run(conn, sql::kInsertEvent, [&](Stmt& s) { BindEvent(s, e); });
}

}  // namespace ingestd::sqlite
