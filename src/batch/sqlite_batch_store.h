// SqliteBatchStore: BatchStore in the store's SQLite file (tables batch_*, migrations
// "batch"). One connection behind a mutex: the batcher writes a few rows per batch, the embed
// stage a few per job.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "batch/batch_store.h"
#include "db/sqlite_db.h"

namespace ingestd {

class SqliteBatchStore final : public BatchStore {
 public:
  // path: the store's SQLite file; model: the vector space the batches embed into.
  static Result<std::unique_ptr<SqliteBatchStore>> Open(const std::string& path, std::string model);

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
  SqliteBatchStore(std::unique_ptr<sqlite::SqliteConn> conn, std::string model)
      : conn_(std::move(conn)), model_(std::move(model)) {}
  Result<std::vector<QueuedChunk>> Chunks(const char* sql,
                                          const std::function<void(sqlite::Stmt&)>& bind);

  std::mutex mu_;
  std::unique_ptr<sqlite::SqliteConn> conn_;  // guarded by mu_
  const std::string model_;
};

}  // namespace ingestd
