#include "audit/async_audit_writer.h"

#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>
#include <thread>

namespace ingestd {
namespace {

// An AuditLog in memory that can be told to fail or stall.
class MemoryLog final : public AuditLog {
 public:
  Status Append(const std::vector<AuditRecord>& records) override {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return !stalled_; });
    if (throws_ > 0) {
      --throws_;
      throw std::runtime_error("log bug");
    }
    if (failures_ > 0) {
      --failures_;
      return Status::Unavailable("DB_BUSY", "busy");
    }
    for (const auto& r : records) rows_.push_back(r);
    batches_.push_back(records.size());
    return Status();
  }
  Result<AuditPage> Query(const AuditQuery&) override { return AuditPage{}; }
  Result<int64_t> PruneBefore(int64_t before_ms) override {
    std::lock_guard lock(mu_);
    prune_calls_.push_back(before_ms);
    return 0;
  }
  void Fail(int n) {
    std::lock_guard lock(mu_);
    failures_ = n;
  }
  void Throw(int n) {
    std::lock_guard lock(mu_);
    throws_ = n;
  }
  void Stall(bool on) {
    {
      std::lock_guard lock(mu_);
      stalled_ = on;
    }
    cv_.notify_all();
  }
  std::vector<AuditRecord> rows() {
    std::lock_guard lock(mu_);
    return rows_;
  }
  std::vector<int64_t> prune_calls() {
    std::lock_guard lock(mu_);
    return prune_calls_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool stalled_ = false;
  int failures_ = 0;
  int throws_ = 0;
  std::vector<AuditRecord> rows_;
  std::vector<size_t> batches_;
  std::vector<int64_t> prune_calls_;
};

AuditRecord Rec(int64_t tokens) {
  AuditRecord r;
  r.tokens = tokens;
  r.model = "text-embedding-3-small";
  return r;
}

TEST(AsyncAuditWriterTest, PricesAndWritesEveryRecordInOrder) {
  MemoryLog log;
  FakeClock clock;
  AuditWriterOptions options;
  options.price = [](AuditRecord& r) { r.cost_nanos = r.tokens * 20; };
  AsyncAuditWriter writer(&log, &clock, options);
  for (int i = 1; i <= 100; ++i) writer.Record(Rec(i));
  writer.Flush();
  const auto rows = log.rows();
  ASSERT_EQ(rows.size(), 100u);
  for (int i = 0; i < 100; ++i) {
    EXPECT_EQ(rows[i].tokens, i + 1);
    EXPECT_EQ(rows[i].cost_nanos, (i + 1) * 20);
  }
  EXPECT_EQ(writer.stats().written, 100);
}

TEST(AsyncAuditWriterTest, AFailedAppendIsRetriedWithoutLoss) {
  MemoryLog log;
  FakeClock clock;
  log.Fail(2);
  AuditWriterOptions options;
  options.retry_ms = 5;
  AsyncAuditWriter writer(&log, &clock, options);
  writer.Record(Rec(1));
  writer.Record(Rec(2));
  writer.Flush();
  EXPECT_EQ(log.rows().size(), 2u);
  EXPECT_GE(writer.stats().failed_appends, 2);
}

// An Append that throws (a bug in a log) is a failed append on the writer thread, not the
// end of that thread: the rows are retried and Flush returns.
TEST(AsyncAuditWriterTest, AnAppendThatThrowsIsRetriedWithoutLoss) {
  MemoryLog log;
  FakeClock clock;
  log.Throw(2);
  AuditWriterOptions options;
  options.retry_ms = 5;
  AsyncAuditWriter writer(&log, &clock, options);
  writer.Record(Rec(1));
  writer.Flush();
  writer.Record(Rec(2));
  writer.Flush();
  EXPECT_EQ(log.rows().size(), 2u);
  EXPECT_EQ(writer.stats().failed_appends, 2);
}

TEST(AsyncAuditWriterTest, RecordNeverWaitsForTheDatabaseUntilTheQueueIsFull) {
  MemoryLog log;
  FakeClock clock;
  log.Stall(true);
  AuditWriterOptions options;
  options.max_queue = 8;
  auto writer = std::make_unique<AsyncAuditWriter>(&log, &clock, options);
  for (int i = 0; i < 8; ++i) writer->Record(Rec(i));  // returns: room in the queue
  std::atomic<bool> ninth_done{false};
  std::thread ninth([&] {
    writer->Record(Rec(8));  // the queue holds 8 (the writer's batch is still queued)
    ninth_done = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_FALSE(ninth_done);
  log.Stall(false);
  ninth.join();
  writer.reset();  // clean shutdown drains
  EXPECT_EQ(log.rows().size(), 9u);
}

TEST(AsyncAuditWriterTest, ShutdownDrainsTheQueue) {
  MemoryLog log;
  FakeClock clock;
  {
    AsyncAuditWriter writer(&log, &clock);
    for (int i = 0; i < 1000; ++i) writer.Record(Rec(i));
  }
  EXPECT_EQ(log.rows().size(), 1000u);
}

TEST(AsyncAuditWriterTest, PrunesRowsOlderThanTheRetentionAtStart) {
  MemoryLog log;
  FakeClock clock(10'000'000);
  {
    AuditWriterOptions options;
    options.retention_ms = 1'000;
    AsyncAuditWriter writer(&log, &clock, options);
    writer.Record(Rec(1));
    writer.Flush();
  }
  ASSERT_FALSE(log.prune_calls().empty());
  EXPECT_EQ(log.prune_calls()[0], 10'000'000 - 1'000);
}

}  // namespace
}  // namespace ingestd
