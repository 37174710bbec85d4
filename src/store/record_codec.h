// How every SQL backend maps rows of its column lists (sqlite_sql.h, pg_sql.h: the same
// lists in the same order) to the domain structs and back to column text. Shared so the
// backends cannot drift apart.
//
// A Row is any type with Text(col) → std::string, Int(col) → int64_t and IsNull(col) → bool,
// columns 0-based (sqlite::Stmt, pg::PgRow).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/model.h"
#include "core/status.h"
#include "store/store.h"

namespace ingestd::record {

// kInternal "DB_CORRUPT_ROW": a stored value cannot be mapped back (unknown status,
// malformed JSON, vector bytes of a bad length).
Status CorruptRow(std::string_view what);
// Compact JSON text; invalid UTF-8 is replaced rather than thrown on.
std::string DumpJson(const nlohmann::json& j);
// nullopt when text is not valid JSON.
std::optional<nlohmann::json> ParseJson(const std::string& text);
// last_error column text: {"code","message","stage","at"}.
std::string LastErrorToJson(const LastError& e);
std::optional<LastError> LastErrorFromJson(const nlohmann::json& j);
// The records CreateUpload stores, from the caller's: ids, user and sha256 required
// (kInvalidArgument otherwise), created/updated at now_ms, the job tied to its document's
// id and user, and no claim.
Status PrepareUpload(const Document& doc_in, const Job& job_in, int64_t now_ms, Document* doc,
                     Job* job);
// The text of a JSON-object column (timings, router_config, …): "{}" for a non-object.
inline std::string ObjectToJson(const nlohmann::json& j) {
  return j.is_object() ? DumpJson(j) : std::string("{}");
}
inline std::string TimingsToJson(const Job& j) { return ObjectToJson(j.timings); }
// Valid RecordRoute services: the stages that call paid services.
inline bool IsRoutedService(std::string_view s) { return s == "parse" || s == "embed"; }

// The row of a single-row query, or not_found() when there was none.
template <typename T>
Result<T> OrNotFound(Result<std::optional<T>> r, Status (*not_found)()) {
  if (!r.ok()) return r.status();
  if (!r->has_value()) return not_found();
  return std::move(**r);
}

template <typename Row>
Result<Job> ReadJob(const Row& s) {
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
  j.created_at_ms = s.Int(14);
  j.updated_at_ms = s.Int(15);
  j.processing_priority = static_cast<int>(s.Int(16));
  j.cost_tracking_enabled = s.Int(20) != 0;
  j.fallback_triggered = s.Int(21) != 0;
  j.actual_parse_cost_nanos = s.Int(22);
  j.actual_embed_cost_nanos = s.Int(23);
  j.traceparent = s.Text(25);
  j.tracestate = s.Text(26);
  const std::pair<int, nlohmann::json*> objects[] = {{13, &j.timings},
                                                     {17, &j.router_config},
                                                     {18, &j.cost_estimate},
                                                     {19, &j.service_health},
                                                     {24, &j.stage_routes}};
  for (const auto& [col, field] : objects) {
    std::optional<nlohmann::json> value = ParseJson(s.Text(col));
    if (!value || !value->is_object()) return CorruptRow("job JSON column");
    *field = std::move(*value);
  }
  return j;
}

template <typename Row>
Result<Document> ReadDocument(const Row& s) {
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

template <typename Row>
Result<Chunk> ReadChunk(const Row& s) {
  Chunk c;
  c.id = s.Text(0);
  c.document_id = s.Text(1);
  c.ord = static_cast<int>(s.Int(2));
  c.text = s.Text(3);
  c.heading_path = s.Text(4);
  c.token_count = static_cast<int>(s.Int(5));
  c.char_start = s.Int(6);
  c.char_end = s.Int(7);
  c.page_start = static_cast<int>(s.Int(8));
  c.page_end = static_cast<int>(s.Int(9));
  return c;
}

template <typename Row>
Result<Event> ReadEvent(const Row& s) {
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

// The embedding cache's answer from rows ordered by text_sha256, newest first within a hash
// (FindCachedVectors): the first row of each hash.
std::vector<VectorRecord> NewestPerHash(std::vector<VectorRecord> rows);

// Columns: chunks, chunks_cached, tokens_paid, tokens_cached, saved_nanos.
template <typename Row>
Result<EmbedUsage> ReadEmbedUsage(const Row& r) {
  return EmbedUsage{r.Int(0), r.Int(1), r.Int(2), r.Int(3), r.Int(4)};
}

}  // namespace ingestd::record
