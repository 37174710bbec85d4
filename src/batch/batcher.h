// Batcher: the one process (per database) that sends work that can wait through OpenAI's
// Batch API (issue 16 §2). Each Tick, while it holds the batcher lease (BatchStore::Lead, so
// processes sharing a database never both send):
//   1. moves every open batch of ours one step: upload its input file, create its batch (after
//      looking for one made from that file: a create whose answer was lost), or poll it; a
//      finished batch's lines are read, each vector checked, its chunks settled — done, again
//      in a later batch (failed lines, failed_lines = kBatch, until max_line_attempts), or
//      left to the synchronous API — and each job's reservation settled from its lines' usage;
//      an upload or create the API refuses for good (a 4xx, e.g. a file past its limits)
//      ends the run as a failed batch, so its chunks go to the synchronous API, never stuck;
//      the jobs with nothing left waiting are woken (Store::WakeParkedJob) with an event:
//      EMBED_BATCH_DONE, or EMBED_BATCH_FALLBACK naming the batch's status and what is left
//      to the synchronous API (failed lines; an expired, failed or cancelled batch);
//   2. packs the waiting chunks of many jobs into a new batch, oldest first, up to
//      max_requests (one request a chunk, within the API's 50,000 requests and 200 MB per
//      file), once max_requests wait or the oldest has waited flush_ms. Each job of it
//      reserves its tokens at the batch price first (a job the budget refuses waits for a
//      later batch); the run, its chunks and reservations are one commit before anything is
//      sent, and every id is stored as soon as OpenAI gives it, so a restart resumes the same
//      batch and never creates a second one.
// Time comes from the clock; Tick is the whole step (tests drive it), Start runs it every
// poll_ms on a thread of its own.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

#include "batch/batch_store.h"
#include "core/clock.h"
#include "ledger/ledger.h"
#include "services/openai_batch_client.h"
#include "store/store.h"

namespace ingestd {

// Where the lines of a batch that failed go (INGESTD_BATCH_FAILED_LINES).
enum class FailedLines {
  kSync,   // to the synchronous API, when the job wakes (the default: no second 24 h wait)
  kBatch,  // into a later batch, up to max_line_attempts batches, then the synchronous API
};

struct BatcherOptions {
  std::string holder;  // this process's id for the lease (unique among processes)
  // INGESTD_BATCH_FLUSH_MS: how long the oldest waiting chunk waits for more to share its
  // batch. Longer packs more jobs into one batch (fewer files and polls); shorter starts the
  // 24 h window sooner.
  int64_t flush_ms = 60'000;
  size_t max_requests = OpenAiBatchClient::kMaxRequests;  // chunks per batch
  // The input file's size, as packing estimates it (kLineBytes + kBytesPerToken per token of
  // each chunk): within the API's 200 MB, so long chunks make smaller batches.
  int64_t max_file_bytes = OpenAiBatchClient::kMaxFileBytes;
  static constexpr int64_t kLineBytes = 256;    // custom_id, method, url, model, JSON
  static constexpr int64_t kBytesPerToken = 6;  // cl100k averages ~4 bytes of text a token
  FailedLines failed_lines = FailedLines::kSync;
  int max_line_attempts = 3;  // kBatch: batches a chunk may go through
  int64_t lease_ms = 60'000;  // the batcher lease; a leader renews it every Tick
  int64_t poll_ms = 10'000;   // Start: how often Tick runs (each open batch is polled once)
};

struct BatcherDeps {
  BatchStore* batches = nullptr;
  Store* store = nullptr;  // chunk texts, routes, wake-ups
  OpenAiBatchClient* client = nullptr;
  Ledger* ledger = nullptr;  // null: no budget accounting
  const PriceTable* prices = nullptr;
  const Clock* clock = nullptr;
};

class Batcher {
 public:
  Batcher(BatcherDeps deps, BatcherOptions options);
  ~Batcher();  // Stop()

  // One step (above). Errors of one batch are logged and left for the next Tick; the
  // returned status is the first error met (OK when all went well or there was nothing).
  Status Tick();
  void Start();
  void Stop();

 private:
  Status Advance(BatchRun run);
  // An upload or create that failed: kept for the next Tick when retryable, else the run is
  // settled as a failed batch.
  Status Refused(const BatchRun& run, const Status& error);
  Status Settle(const BatchRun& run, const BatchState& state);
  Status Flush();
  Result<std::vector<BatchInput>> Inputs(const std::vector<QueuedChunk>& chunks);
  // Gives back reservations of work that was never sent.
  void ReleaseAll(const std::vector<RunReservation>& reservations);

  const BatcherDeps deps_;
  const BatcherOptions options_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;  // guarded by mu_
  std::thread thread_;
};

}  // namespace ingestd
