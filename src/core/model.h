// The domain records shared by the store, the pipeline and the API: documents, jobs,
// chunks, vectors and events. Plain structs; times are Unix milliseconds (UTC).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ingestd {

// Pipeline position, in order (DESIGN.md §4). kAwaitingUpload precedes the pipeline: the
// two-step upload has created the job but its bytes have not arrived; workers never claim it.
enum class JobStatus {
  kAwaitingUpload,
  kUploaded,
  kParseQueued,
  // Parked: the parse was submitted to a provider that works asynchronously (LlamaParse);
  // no worker waits. State retryable with retry_at the next status poll (a webhook brings
  // it to now); the claim resumes the provider's job.
  kParseSubmitted,
  kParsed,
  kParseValidated,
  kChunking,
  kChunksStored,
  kEmbeddingQueued,
  kEmbeddingInProgress,
  kEmbeddingsStored,
  kComplete,
  // Parked: the embed stage handed the job's chunks to the Batch API batcher (work that can
  // wait); no worker waits. State retryable; the batcher brings retry_at to now once the
  // job's batch has ended (Store::WakeParkedJob), and the claim stores its results.
  kEmbeddingBatched,
};

// Queue state: who may touch the job now.
enum class QueueState { kQueued, kWorking, kRetryable, kDone, kDeadletter };

std::string_view ToString(JobStatus s);
std::string_view ToString(QueueState s);
std::optional<JobStatus> ParseJobStatus(std::string_view s);
std::optional<QueueState> ParseQueueState(std::string_view s);

struct LastError {
  std::string code;
  std::string message;
  std::string stage;
  int64_t at_ms = 0;
};

struct Document {
  std::string id;
  std::string user_id;
  std::string filename;  // sanitized display name; never used as a path
  std::string mime;
  int64_t size_bytes = 0;
  std::string sha256;    // lower-case hex
  std::string blob_key;  // empty until the bytes are stored
  int page_count = -1;   // -1 until known
  int64_t created_at_ms = 0;
};

struct Job {
  std::string id;
  std::string document_id;
  std::string user_id;
  JobStatus status = JobStatus::kAwaitingUpload;
  QueueState state = QueueState::kQueued;
  int retry_count = 0;
  std::optional<LastError> last_error;
  std::string correlation_id;
  // The W3C trace context the job's work continues (core/trace.h): the traceparent of the
  // request span that created the job, and the client's tracestate. Every stage, in any
  // process, is a child of it. Empty for jobs stored before traces (trace::ParentOf).
  std::string traceparent;
  std::string tracestate;
  std::string service_mode;  // e.g. "mock"
  std::string claimed_by;    // worker id while working
  // Set by Store::ClaimNext only (not stored): the worker whose expired lease this claim
  // took over (it died in the stage), empty for an ordinary claim.
  std::string reclaimed_from;
  int64_t lease_expires_at_ms = 0;
  int64_t retry_at_ms = 0;                            // earliest claim time while retryable
  int stage_pct = 0;                                  // progress within the current stage
  nlohmann::json timings = nlohmann::json::object();  // {"parse":{"started_at","ms"},…}
  int64_t created_at_ms = 0;
  int64_t updated_at_ms = 0;
  // Set at upload (pre-flight): claimed before lower priorities, then oldest first.
  int processing_priority = 0;
  // The router's configuration when the job was accepted: per service mode, implementation,
  // fallback and breaker settings.
  nlohmann::json router_config = nlohmann::json::object();
  // Whole-job estimate in nano-dollars: {"parse_nanos","embed_nanos","total_nanos",…}.
  nlohmann::json cost_estimate = nlohmann::json::object();
  // Per service health (mode, implementation, breaker state) at upload.
  nlohmann::json service_health = nlohmann::json::object();
  bool cost_tracking_enabled = false;  // a ledger accounted for this job's paid calls
  // Recorded during the pipeline (Store::RecordRoute): any call served by a fallback, the
  // settled cost per service, and per stage what served it and why.
  bool fallback_triggered = false;
  int64_t actual_parse_cost_nanos = 0;
  int64_t actual_embed_cost_nanos = 0;
  // {"parse":{"mode","implementation","reason","calls","fallback_calls","fallback_reason"},…}
  nlohmann::json stage_routes = nlohmann::json::object();
  // Where to POST the job's end (issue 13 §4; api/callback_url.h checks it). Written by
  // Store::CreateUpload beside the job; the job reads leave it empty.
  std::string callback_url;
};

// One routed service call as the job records it (Store::RecordRoute).
struct RouteRecord {
  std::string service;  // "parse" | "embed": the stage
  std::string mode;
  std::string implementation;
  std::string reason;
  bool fallback = false;
  int64_t cost_nanos = 0;  // settled cost of this call
};

struct Chunk {
  std::string id;  // UUIDv5(document_id, chunker@version + ":" + ord)
  std::string document_id;
  int ord = 0;
  std::string text;
  std::string heading_path;  // "Intro > Setup"
  int token_count = 0;
  int64_t char_start = 0;  // offsets into the parsed markdown
  int64_t char_end = 0;
  int page_start = 0;  // pages of the chunk's text; 0 when the markdown has no page markers
  int page_end = 0;
};

struct VectorRecord {
  std::string chunk_id;
  std::string document_id;
  std::string model;  // e.g. "mock-embed-1536"; vectors of different models never mix
  std::vector<float> values;
  // The embedding cache (store.h, FindCachedVectors): SHA-256 (hex) of the text the vector
  // embeds, exactly as sent to the embedder; empty: the vector is no cache entry. The store
  // clears it when it evicts the entry (the vector itself stays).
  std::string text_sha256{};
  int64_t tokens = 0;       // the text's tokens (cl100k_base), paid for or saved
  bool cache_hit = false;   // copied from a cached vector: no provider call, no reservation
  int64_t saved_nanos = 0;  // what a cache hit saved: the price of `tokens` in `model`
};

struct Event {
  int64_t id = 0;  // assigned by the store
  std::string job_id;
  std::string correlation_id;
  std::string type;   // stage_started | stage_done | retry | error | finalized | upload
  std::string code;   // UPLOAD_ACCEPTED, PARSE_STORED, …
  std::string stage;  // may be empty
  nlohmann::json payload = nlohmann::json::object();
  int64_t at_ms = 0;
};

}  // namespace ingestd
