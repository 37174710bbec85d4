// BatchStore: the Batch API batcher's durable state, in the store's database (tables batch_*,
// their own migrations): the chunks waiting for a batch (EmbedBatchQueue, the embed stage's
// side), the batches made of them with their OpenAI file and batch ids, the ledger
// reservation each job holds in a batch, and the one batcher lease of all processes.
//
// Every id is written before the step that needs it runs, so a restarted process resumes each
// open batch where it stood: a run without a file uploads again, a run with a file but no
// batch id looks the batch up before creating one, a run with a batch id polls it. Thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "pipeline/embed_batch_queue.h"

namespace ingestd {

// A chunk waiting for a batch, or in one.
struct QueuedChunk {
  std::string job_id, chunk_id, text_sha256;
  std::string document_id, user_id, correlation_id;  // its job's
  int priority = 0;
  int64_t tokens = 0;
  int attempts = 0;  // batches it went through already (failed lines that went again)
  int64_t enqueued_at_ms = 0;
};

// One batch of ours: its OpenAI input file and batch, once they exist.
struct BatchRun {
  std::string id;  // ours; also the audit rows' correlation id
  std::string model;
  std::string input_file_id;  // empty until uploaded
  std::string batch_id;       // empty until created (or found)
  std::string status;         // OpenAI's last status seen ("" before the create)
  int64_t created_at_ms = 0;
};

struct RunReservation {
  std::string job_id, reservation_id;
};

// What one line of a finished batch gave its chunk.
struct LineOutcome {
  std::string job_id, chunk_id;
  std::vector<float> vector;  // empty: the line failed
  int64_t tokens = 0;
  bool again = false;  // failed, and goes into a later batch (else: left to the sync API)
};

// Folds the rows of one job's chunks into its turn, as every backend reads them: a chunk
// waiting or submitted keeps the job waiting; a done one gives its vector; a failed one (or a
// done one whose vector does not decode) is left to the synchronous API.
class TurnFolder {
 public:
  explicit TurnFolder(std::string model) : model_(std::move(model)) {}
  void Add(std::string_view state, std::string chunk_id, std::string_view vector_le, int64_t tokens,
           std::string text_sha256);
  BatchTurn Finish();

 private:
  std::string model_;
  BatchTurn turn_;
  bool waiting_ = false;
};

class BatchStore : public EmbedBatchQueue {
 public:
  // Takes or keeps the batcher lease: true when holder has it until now + lease_ms (it was
  // free, expired, or already holder's). One statement: two processes never both lead.
  virtual Result<bool> Lead(const std::string& holder, int64_t now_ms, int64_t lease_ms) = 0;
  // Chunks waiting for a batch, oldest first, at most limit.
  virtual Result<std::vector<QueuedChunk>> ListWaiting(int64_t limit) = 0;
  // In one transaction: the run, its chunks moved from waiting into it, its reservations.
  virtual Status CreateRun(const BatchRun& run, const std::vector<QueuedChunk>& chunks,
                           const std::vector<RunReservation>& reservations) = 0;
  // Runs not finished, oldest first.
  virtual Result<std::vector<BatchRun>> OpenRuns() = 0;
  // Writes the run's file id, batch id and status.
  virtual Status UpdateRun(const BatchRun& run) = 0;
  virtual Result<std::vector<QueuedChunk>> RunChunks(const std::string& run_id) = 0;
  virtual Result<std::vector<RunReservation>> RunReservations(const std::string& run_id) = 0;
  // In one transaction: each outcome applied (a vector: done; again: waiting once more, one
  // attempt more; else failed), the run finished with `status`. Returns the jobs of the run
  // that have no chunk waiting or in a batch any more (the ones to wake), in id order.
  virtual Result<std::vector<std::string>> FinishRun(const std::string& run_id,
                                                     const std::string& status,
                                                     const std::vector<LineOutcome>& outcomes) = 0;
};

}  // namespace ingestd
