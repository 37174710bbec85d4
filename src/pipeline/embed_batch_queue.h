// EmbedBatchQueue: where the embed stage hands the chunks of work that can wait (a job below
// INGESTD_BATCH_BELOW_PRIORITY, or an upload with "embed_via": "batch") to the Batch API
// batcher (src/batch), and finds what became of them once the batcher woke the job.
//
// The stage enqueues the chunks still without a vector and parks the job as
// embedding_batched; the batcher packs the chunks of many jobs into one batch, keeps each
// line's vector, and wakes the job when none of its chunks waits any more. The woken stage
// stores those vectors under its lease and embeds what is left (failed lines, an expired or
// failed batch) through the synchronous embedder, then forgets the job's entries.
// Implementations are durable (a restart loses nothing) and thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/model.h"
#include "core/status.h"

namespace ingestd {

struct BatchedChunk {
  std::string chunk_id;
  std::string text_sha256;  // the cache key stored with its vector
  int64_t tokens = 0;       // as the batch will send it: what the ledger reserves
};

// What the queue knows of one job.
struct BatchTurn {
  enum class State {
    kNone,     // never enqueued (or forgotten): the stage may enqueue it
    kWaiting,  // chunks wait for a batch or are in one: park again
    kSettled,  // every chunk has its vector or gave up on the batch: store, embed the rest
  } state = State::kNone;
  std::vector<VectorRecord> vectors;  // kSettled: what the batches made (model, tokens set)
  int64_t failed = 0;                 // kSettled: chunks left to the synchronous embedder
};

class EmbedBatchQueue {
 public:
  virtual ~EmbedBatchQueue() = default;
  // The vector space batches embed into: the stage batches only when it is the embedder's.
  virtual std::string model() const = 0;
  virtual Result<BatchTurn> Turn(const std::string& job_id) = 0;
  // Records the job (user, document, priority, correlation id) and its chunks as waiting.
  // Enqueueing a job already known changes nothing.
  virtual Status Enqueue(const Job& job, const std::vector<BatchedChunk>& chunks,
                         int64_t now_ms) = 0;
  // Drops the job's entries once its vectors are stored (the batches' own records stay).
  virtual Status Forget(const std::string& job_id) = 0;
};

}  // namespace ingestd
