// AsyncAuditWriter: the AuditSink the provider clients write to. Record prices the row
// (price callback) and queues it; one thread appends queued rows in batches (one
// transaction each), so a paid call waits for no database write. The queue is bounded:
// when the log falls max_queue rows behind, Record waits for room rather than drop a row of
// money spent. A failed append is retried (the rows stay queued) after retry_ms.
// Destruction (clean shutdown) drains the queue first: nothing recorded is lost.
//
// The same thread prunes rows older than retention_ms every prune_every_ms (and once at
// start). Thread-safe.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

#include "audit/audit_log.h"
#include "core/clock.h"

namespace ingestd {

struct AuditWriterOptions {
  size_t max_queue = 10'000;
  size_t max_batch = 500;
  int64_t idle_wake_ms = 1'000;  // how often an idle writer looks whether pruning is due
  int64_t retry_ms = 1'000;
  int64_t retention_ms = 30LL * 86'400'000;  // INGESTD_AUDIT_RETENTION_DAYS
  int64_t prune_every_ms = 3'600'000;
  // Sets cost_nanos from the record's usage (null: costs are left as recorded).
  std::function<void(AuditRecord&)> price;
};

class AsyncAuditWriter final : public AuditSink {
 public:
  // log and clock are not owned and must outlive the writer.
  AsyncAuditWriter(AuditLog* log, const Clock* clock, AuditWriterOptions options = {});
  ~AsyncAuditWriter() override;  // drains, then stops
  AsyncAuditWriter(const AsyncAuditWriter&) = delete;
  AsyncAuditWriter& operator=(const AsyncAuditWriter&) = delete;

  void Record(AuditRecord record) override;
  // Blocks until every row recorded before the call is appended (or the writer stops).
  void Flush();

  struct Stats {
    int64_t written = 0;
    int64_t batches = 0;
    int64_t failed_appends = 0;
    int64_t waits_for_room = 0;  // Record calls that found the queue full
    int64_t queued = 0;          // rows recorded and not yet written, now
  };
  Stats stats() const;

 private:
  void Run();
  void PruneIfDue(int64_t now_mono);

  AuditLog* const log_;
  const Clock* const clock_;
  const AuditWriterOptions options_;
  mutable std::mutex mu_;
  std::condition_variable work_cv_;  // rows queued, or stopping
  std::condition_variable room_cv_;  // rows written
  std::deque<AuditRecord> queue_;    // guarded by mu_
  int64_t recorded_ = 0;             // rows ever queued; guarded by mu_
  int64_t written_ = 0;              // rows appended (or given up at stop); guarded by mu_
  bool stopping_ = false;            // guarded by mu_
  Stats stats_;                      // guarded by mu_
  int64_t next_prune_mono_ = 0;      // writer thread only
  std::thread thread_;
};

}  // namespace ingestd
