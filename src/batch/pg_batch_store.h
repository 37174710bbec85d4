// PgBatchStore: BatchStore in the store's PostgreSQL database (tables batch_*, migrations
// "batch"), for every process on it. The batcher lease is one upsert, so two processes never
// both lead; the rest are short transactions on a small pool.
#pragma once

#include <memory>
#include <string>

#include "batch/batch_store.h"
#include "db/pg_pool.h"

namespace ingestd {

class PgBatchStore final : public BatchStore {
 public:
  // url: the store's PostgreSQL URL; model: the vector space the batches embed into.
  static Result<std::unique_ptr<PgBatchStore>> Open(const std::string& url, std::string model);

  std::string model() const override { return model_; }
  Result<BatchTurn> Turn(const std::string& job_id) override;
  Status Enqueue(const Job& job, const std::vector<BatchedChunk>& chunks, int64_t now_ms) override;
  Status Forget(const std::string& job_id) override;

  Result<bool> Lead(const std::string& holder, int64_t now_ms, int64_t lease_ms) override;
  Result<std::vector<QueuedChunk>> ListWaiting(int64_t limit) override;
  Status CreateRun(const BatchRun& run, const std::vector<QueuedChunk>& chunks,
                   const std::vector<RunReservation>& reservations) override;
  Result<std::vector<BatchRun>> OpenRuns() override;
  Status UpdateRun(const BatchRun& run) override;
  Result<std::vector<QueuedChunk>> RunChunks(const std::string& run_id) override;
  Result<std::vector<RunReservation>> RunReservations(const std::string& run_id) override;
  Result<std::vector<std::string>> FinishRun(const std::string& run_id, const std::string& status,
                                             const std::vector<LineOutcome>& outcomes) override;

 private:
  PgBatchStore(const std::string& url, std::string model);
  Result<std::vector<QueuedChunk>> Chunks(const char* sql, const pg::PgParams& params);

  pg::PgPool pool_;
  const std::string model_;
};

}  // namespace ingestd
