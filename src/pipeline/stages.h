// The pipeline stages: which status runs which stage, and the stage bodies. A stage reads
// what it needs, calls the services, writes only idempotent side data (blobs under keys
// made from ids) and returns its durable effect for the worker to commit atomically with
// the status change. Running a stage twice gives the same result.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/model.h"
#include "core/status.h"
#include "pipeline/pipeline_options.h"

namespace ingestd {

enum class Stage { kParse, kValidate, kChunk, kEmbed, kFinalize };

struct StageInfo {
  std::string_view name;        // "parse"; used in events, logs, timings and last_error
  std::string_view start_code;  // stage_started event code, e.g. "PARSE_STARTED"
  std::string_view done_code;   // e.g. "PARSE_STORED"
  // Status set (keeping the claim) as the stage begins, when the stage has one.
  std::optional<JobStatus> entry_status;
  JobStatus done_status;
};

// The stage a job in `status` runs next: uploaded/parse_queued/parse_submitted → parse; parsed →
// validate; parse_validated/chunking → chunk; chunks_stored/embedding_queued/embedding_in_progress
// → embed (embedding_queued is not produced yet: it is for jobs deferred by a budget), and
// embedding_batched (woken by the batcher) → embed too;
// embeddings_stored → finalize. nullopt for awaiting_upload and complete.
std::optional<Stage> StageFor(JobStatus status);
const StageInfo& Info(Stage stage);

// The event a parked parse leaves; its payload's reservation_id is handed back on resume.
inline constexpr char kParseParkedCode[] = "PARSE_PARKED";
// The event of an embed stage that handed its chunks to the batcher, and the batcher's
// wake-ups: every chunk got its vector from the batch, or some are left to the synchronous
// API (failed lines; an expired, failed or cancelled batch).
inline constexpr char kEmbedBatchedCode[] = "EMBED_BATCHED";
inline constexpr char kEmbedBatchDoneCode[] = "EMBED_BATCH_DONE";
inline constexpr char kEmbedBatchFallbackCode[] = "EMBED_BATCH_FALLBACK";

// A stage's durable effect (see StageCommit).
struct StageOutput {
  std::optional<std::vector<Chunk>> chunks;
  std::optional<int> page_count;
  nlohmann::json payload = nlohmann::json::object();  // for the stage_done event
  // Events committed with the stage, before its done event (type, code and payload set;
  // the worker fills in the job, stage and time).
  std::vector<Event> events;
  // Set when the stage parked instead of finishing (parse: the provider still works; embed:
  // the chunks wait for a Batch API batch): the job waits in park_status this long, holding
  // no worker, with payload (a parse: the parked reservation) on its park_code event;
  // nothing else of the output applies.
  std::optional<int64_t> park_for_ms;
  JobStatus park_status = JobStatus::kParseSubmitted;
  std::string park_code = kParseParkedCode;
};

// Normalizes parsed markdown: drops NUL bytes, turns CRLF and lone CR into LF, trims
// surrounding whitespace.
std::string NormalizeMarkdown(std::string_view markdown);

// What a running stage does through its worker, under the job's lease. A non-OK return
// aborts the stage with that status: LEASE_LOST (another worker owns the job now) or
// STAGE_CANCELLED (the worker is shutting down; what was stored stays).
struct StageHooks {
  // Progress within the stage, 0-100 (recorded at most every progress_interval_ms).
  std::function<Status(int stage_pct)> progress;
  // Makes vectors durable now, keeping the claim, so that a re-run of the stage finds them
  // and does not pay for them again.
  std::function<Status(std::vector<VectorRecord> vectors, int stage_pct)> store_vectors;
};

// The stage was stopped between two provider requests because its worker is shutting down:
// not a failure of the job (kConflict, not retryable, so no router counts it as a fault).
inline constexpr char kStageCancelledCode[] = "STAGE_CANCELLED";
inline bool IsStageCancelled(const Status& s) { return !s.ok() && s.code() == kStageCancelledCode; }

// Runs stage bodies. Thread-safe as long as the deps are.
class StageRunner {
 public:
  StageRunner(const PipelineDeps& deps, const PipelineOptions& options)
      : deps_(deps), options_(options) {}

  // Only long stages use the hooks (embed: vectors as each provider request returns,
  // progress between batches).
  Result<StageOutput> Run(Stage stage, const Job& job, const Document& doc,
                          const StageHooks& hooks) const;

 private:
  Result<StageOutput> Parse(const Job& job, const Document& doc) const;
  Result<StageOutput> Validate(const Document& doc) const;
  Result<StageOutput> ChunkMarkdown(const Document& doc) const;
  Result<StageOutput> Embed(const Job& job, const Document& doc, const StageHooks& hooks) const;
  Result<StageOutput> Finalize(const Document& doc) const;

  // What the embedding cache gave one embed stage.
  struct CacheCopies {
    size_t chunks = 0;
    int64_t tokens = 0;
    int64_t saved_nanos = 0;
  };
  // Stores a copy of the cached vector of each chunk of *send whose text (*hashes, in step)
  // has one in the space, within the configured scope, and leaves in *send and *hashes only
  // the chunks still to embed.
  Status CopyCached(const Job& job, const Document& doc, const std::string& space, int dims,
                    const StageHooks& hooks, const std::function<int()>& pct,
                    std::vector<const Chunk*>* send, std::vector<std::string>* hashes,
                    CacheCopies* cached) const;
  // Whether the job's embeddings can wait for the Batch API (PipelineDeps::batches).
  bool CanWait(const Job& job, const std::string& space) const;
  // The Batch API turn of a job that can wait: parks it (the output to return) while its
  // chunks wait for a batch; once the batcher woke it, stores what the batches made and
  // leaves in *todo the chunks still to embed synchronously (nullopt: go on).
  Result<std::optional<StageOutput>> ThroughBatch(const Job& job, const Document& doc,
                                                  const std::string& space, int dims,
                                                  const StageHooks& hooks,
                                                  const std::function<int()>& pct,
                                                  std::vector<const Chunk*>* todo, size_t* batched,
                                                  CacheCopies* cached) const;
  // One Embedder call over send, its vectors stored (keyed by hashes) as they arrive.
  Result<EmbedOutput> EmbedBatch(const Job& job, const Document& doc,
                                 const std::vector<const Chunk*>& send,
                                 const std::vector<std::string>& hashes, const StageHooks& hooks,
                                 const std::function<int()>& pct, size_t* embedded) const;

  PipelineDeps deps_;
  PipelineOptions options_;
};

}  // namespace ingestd
