// Knobs and collaborators of the pipeline workers. Only main reads env/config; it fills
// these structs and validates them once with ValidatePipelineOptions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "blob/blob_store.h"
#include "core/backoff.h"
#include "core/clock.h"
#include "core/status.h"
#include "pipeline/embed_batch_queue.h"
#include "services/embedder.h"
#include "services/parser.h"
#include "store/store.h"
#include "text/chunker.h"

namespace ingestd {

// Whose vectors the embedding cache may reuse (INGESTD_EMBED_CACHE).
enum class EmbedCacheScope {
  kUser,    // only the job's user's own vectors (the default)
  kGlobal,  // any user's vector of the same text: another user's hit shows as speed and cost
  kOff,     // no lookups: every chunk is embedded
};

struct PipelineOptions {
  // Worker threads in a WorkerPool. Stages are mostly CPU and SQLite-bound in mock mode, so
  // more threads than cores only help when stages wait on remote services.
  int workers = 2;
  // How long a claim stays valid without a heartbeat. Longer delays the pickup of jobs whose
  // process died; shorter risks a slow (but alive) stage losing its job to another worker.
  int64_t lease_ms = 30000;
  // How often in-flight leases are extended; 0 means lease_ms / 3 (two missed beats fit).
  int64_t heartbeat_interval_ms = 0;
  // Delay before a retry (1 s doubling to 60 s, equal jitter by default).
  BackoffPolicy backoff;
  // Failed attempts a job may make before it is dead-lettered. Counted over the job's life
  // (job.retry_count + 1, which only a user retry resets), not per stage.
  int max_attempts = 5;
  // Idle workers poll the store this often; WorkerPool::Notify wakes them sooner.
  int64_t idle_poll_ms = 100;
  // The idle poll when the store pushes wake-ups (Store::SubscribeJobQueued: PostgreSQL
  // LISTEN/NOTIFY): then polling only covers lost notifications and retries coming due,
  // and every poll of every idle worker of every process is a query on the shared server.
  int64_t notified_idle_poll_ms = 1000;
  // Chunk texts per Embedder call. Bigger batches mean fewer round trips to a provider but
  // a larger request to redo when one fails.
  size_t embed_batch_size = 64;
  // The embedding cache (Store::FindCachedVectors): before a batch is sent, each chunk whose
  // text (SHA-256 of the text exactly as sent) already has a vector in the space the batch
  // would be embedded into — same model tag, same dimensions — within the scope gets a copy
  // of it: no provider call, no reservation. It applies in every mode; only paid models save
  // money.
  EmbedCacheScope embed_cache = EmbedCacheScope::kUser;
  // Cache entries kept (INGESTD_EMBED_CACHE_MAX_VECTORS); each embed stage ends by dropping
  // the least recently used beyond it from the index — never a vector. Larger saves more
  // re-embedding; each entry costs an index row.
  int64_t embed_cache_max_vectors = 1'000'000;
  // The Batch API for work that can wait (INGESTD_BATCH_BELOW_PRIORITY): a job whose
  // processing_priority is below this, or whose upload asked "embed_via": "batch", has its
  // chunks embedded by the batcher (PipelineDeps::batches) at half the price, within 24 h,
  // holding no worker meanwhile. Unset: only uploads that ask.
  std::optional<int> batch_below_priority;
  // How long a batched job stays parked before a worker looks at it again on its own (the
  // batcher wakes it as soon as its batch ended): past the Batch API's 24 h window.
  int64_t batch_park_ms = 25 * 3600 * 1000LL;
  // A long stage records its progress (job.stage_pct) at most this often; each record is a
  // small write and also notices a lost lease early, before more upstream calls are spent.
  int64_t progress_interval_ms = 1000;
  // WorkerPool::Stop waits this long for in-flight stages to finish, then cancels them
  // (between provider requests); each then releases its claim for the next process. Longer
  // lets more work finish before a stop; shorter stops sooner (nothing paid for is lost).
  int64_t drain_ms = 30000;
  // Hears every job a worker finishes, after its commit: completed (dead_lettered false) or
  // dead-lettered. Runs on the worker's thread, so it must be quick and thread-safe.
  // Optional (the dead-letter rate alert uses it).
  std::function<void(const Job& job, bool dead_lettered)> on_job_finished;
  // Hears every stage a worker completed (committed) and how long it ran; on the worker's
  // thread, so it must be quick and thread-safe. Optional (the stage metrics use it).
  std::function<void(std::string_view stage, int64_t ms)> on_stage_done;

  int64_t EffectiveHeartbeatMs() const {
    return heartbeat_interval_ms > 0 ? heartbeat_interval_ms : lease_ms / 3;
  }
};

// kInvalidArgument / "PIPELINE_OPTIONS_INVALID" naming the first bad field.
Status ValidatePipelineOptions(const PipelineOptions& options);

// What the workers use. Not owned: every pointer must outlive the workers using it, and
// each object must be thread-safe (they are shared by all threads of a pool).
struct PipelineDeps {
  Store* store = nullptr;
  BlobStore* blobs = nullptr;
  Parser* parser = nullptr;
  Embedder* embedder = nullptr;
  const Chunker* chunker = nullptr;
  const Clock* clock = nullptr;
  // What a cache hit saves: the price of `tokens` in `model`, in nanos (the price table's).
  // Null: hits are recorded as saving nothing.
  std::function<int64_t(const std::string& model, int64_t tokens)> embed_price = nullptr;
  // The Batch API batcher's queue (src/batch). Null: every embedding is synchronous.
  EmbedBatchQueue* batches = nullptr;
};

}  // namespace ingestd
