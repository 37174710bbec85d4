#include "api/views.h"

#include "core/clock.h"
#include "core/json_read.h"
#include "ledger/ledger.h"
#include "services/openai_wire.h"

namespace ingestd::api {

int TotalPercent(JobStatus status) {
  // uploaded is 0%, complete is 100%, the stages in between evenly spaced. A job waiting on
  // its Batch API batch stands where the embed stage begins.
  if (status == JobStatus::kEmbeddingBatched) status = JobStatus::kEmbeddingQueued;
  int index = static_cast<int>(status) - static_cast<int>(JobStatus::kUploaded);
  int last = static_cast<int>(JobStatus::kComplete) - static_cast<int>(JobStatus::kUploaded);
  if (index <= 0) return 0;
  return index * 100 / last;
}

nlohmann::json EmbedUsageJson(const EmbedUsage& u) {
  return {{"chunks", u.chunks},
          {"chunks_cached", u.chunks_cached},
          {"tokens_paid", u.tokens_paid},
          {"tokens_cached", u.tokens_cached},
          {"saved_nanos", u.saved_nanos}};
}

nlohmann::json JobJson(const Job& job) {
  nlohmann::json last_error = nullptr;
  if (job.last_error) {
    last_error = {{"code", job.last_error->code},
                  {"message", job.last_error->message},
                  {"stage", job.last_error->stage},
                  {"at", FormatRfc3339(job.last_error->at_ms)}};
  }
  nlohmann::json timings = nlohmann::json::object();
  for (auto& [stage, t] : job.timings.items()) {
    nlohmann::json out = t;
    for (const char* key : {"started_at", "finished_at"}) {
      if (auto ms = json_read::Int(t, key)) out[key] = FormatRfc3339(*ms);
    }
    timings[stage] = out;
  }
  bool done = job.status == JobStatus::kComplete;
  nlohmann::json estimate = job.cost_estimate;
  if (estimate.contains("total_nanos") && estimate["total_nanos"].is_number_integer()) {
    estimate["total_usd"] = NanosToUsd(estimate["total_nanos"].get<int64_t>());
  }
  const int64_t actual_total = job.actual_parse_cost_nanos + job.actual_embed_cost_nanos;
  return {{"job_id", job.id},
          {"document_id", job.document_id},
          {"status", ToString(job.status)},
          {"state", ToString(job.state)},
          {"progress",
           {{"stage_pct", done ? 100 : job.stage_pct}, {"total_pct", TotalPercent(job.status)}}},
          {"retry_count", job.retry_count},
          {"last_error", last_error},
          {"correlation_id", job.correlation_id},
          {"service_mode", job.service_mode},
          {"timings", timings},
          {"retry_at", job.state == QueueState::kRetryable
                           ? nlohmann::json(FormatRfc3339(job.retry_at_ms))
                           : nlohmann::json(nullptr)},
          {"created_at", FormatRfc3339(job.created_at_ms)},
          {"updated_at", FormatRfc3339(job.updated_at_ms)},
          {"processing_priority", job.processing_priority},
          {"router_config", job.router_config},
          {"cost_estimate", estimate},
          {"service_health_status", job.service_health},
          {"cost_tracking_enabled", job.cost_tracking_enabled},
          {"fallback_triggered", job.fallback_triggered},
          {"actual_cost",
           {{"parse_nanos", job.actual_parse_cost_nanos},
            {"embed_nanos", job.actual_embed_cost_nanos},
            {"total_nanos", actual_total},
            {"total_usd", NanosToUsd(actual_total)}}},
          {"stage_routes", job.stage_routes}};
}

Result<nlohmann::json> JobView(Store& store, const Job& job) {
  auto usage = store.GetEmbedUsage(job.document_id);
  if (!usage.ok()) return usage.status();
  nlohmann::json view = JobJson(job);
  view["embed"] = EmbedUsageJson(*usage);
  return view;
}

nlohmann::json DocumentJson(const Document& doc, const std::string& job_id, int64_t chunk_count,
                            int64_t vector_count) {
  return {
      {"document_id", doc.id},
      {"job_id", job_id.empty() ? nlohmann::json(nullptr) : nlohmann::json(job_id)},
      {"filename", doc.filename},
      {"mime", doc.mime},
      {"size_bytes", doc.size_bytes},
      {"sha256", doc.sha256},
      {"page_count", doc.page_count < 0 ? nlohmann::json(nullptr) : nlohmann::json(doc.page_count)},
      {"chunk_count", chunk_count},
      {"vector_count", vector_count},
      {"created_at", FormatRfc3339(doc.created_at_ms)}};
}

nlohmann::json DocumentSummaryJson(const DocumentSummary& s) {
  nlohmann::json out =
      DocumentJson(s.document, s.job ? s.job->id : "", s.chunk_count, s.vector_count);
  out["status"] = s.job ? nlohmann::json(ToString(s.job->status)) : nlohmann::json(nullptr);
  out["state"] = s.job ? nlohmann::json(ToString(s.job->state)) : nlohmann::json(nullptr);
  out["vector_models"] = s.vector_models;
  return out;
}

nlohmann::json ChunkJson(const Chunk& c) {
  auto page = [](int p) { return p > 0 ? nlohmann::json(p) : nlohmann::json(nullptr); };
  return {{"chunk_id", c.id},
          {"ord", c.ord},
          {"text", c.text},
          {"heading_path", c.heading_path},
          {"token_count", c.token_count},
          {"char_start", c.char_start},
          {"char_end", c.char_end},
          {"page_start", page(c.page_start)},
          {"page_end", page(c.page_end)}};
}

nlohmann::json VectorJson(const VectorRecord& v) {
  return {{"model", v.model},
          {"dims", v.values.size()},
          {"embedding_b64", openai::EncodeFloat32Base64(v.values)}};
}

nlohmann::json EventJson(const Event& e) {
  return {{"id", e.id},
          {"type", e.type},
          {"code", e.code},
          {"stage", e.stage},
          {"correlation_id", e.correlation_id},
          {"payload", e.payload},
          {"at", FormatRfc3339(e.at_ms)}};
}

}  // namespace ingestd::api
