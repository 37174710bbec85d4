#include "audit/async_audit_writer.h"

#include <vector>

#include "core/last_resort.h"
#include "core/log.h"

namespace ingestd {

AsyncAuditWriter::AsyncAuditWriter(AuditLog* log, const Clock* clock, AuditWriterOptions options)
    : log_(log), clock_(clock), options_(std::move(options)) {
  thread_ = std::thread([this] { Run(); });
}

AsyncAuditWriter::~AsyncAuditWriter() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  work_cv_.notify_all();
  thread_.join();
}

void AsyncAuditWriter::Record(AuditRecord record) {
  if (options_.price) options_.price(record);
  std::unique_lock lock(mu_);
  if (queue_.size() >= options_.max_queue) {
    ++stats_.waits_for_room;
    room_cv_.wait(lock, [&] { return queue_.size() < options_.max_queue || stopping_; });
  }
  queue_.push_back(std::move(record));
  ++recorded_;
  work_cv_.notify_one();
}

void AsyncAuditWriter::Flush() {
  std::unique_lock lock(mu_);
  const int64_t target = recorded_;
  room_cv_.wait(lock, [&] { return written_ >= target || (stopping_ && queue_.empty()); });
}

AsyncAuditWriter::Stats AsyncAuditWriter::stats() const {
  std::lock_guard lock(mu_);
  Stats s = stats_;
  s.queued = static_cast<int64_t>(queue_.size());
  return s;
}

void AsyncAuditWriter::PruneIfDue(int64_t now_mono) {
  if (options_.retention_ms <= 0 || now_mono < next_prune_mono_) return;
  next_prune_mono_ = now_mono + options_.prune_every_ms;
  auto pruned = log_->PruneBefore(clock_->NowMillis() - options_.retention_ms);
  if (!pruned.ok()) {
    log::Warn("audit retention prune failed", {{"code", pruned.status().code()}});
  } else if (*pruned > 0) {
    log::Info("audit rows pruned", {{"rows", *pruned}, {"retention_ms", options_.retention_ms}});
  }
}

void AsyncAuditWriter::Run() {
  std::unique_lock lock(mu_);
  for (;;) {
    lock.unlock();
    RunGuarded("audit retention prune", [&] { PruneIfDue(clock_->MonotonicMillis()); });
    lock.lock();
    // Rows that arrive while an append runs form the next batch: under load batches grow
    // by themselves, and a lone row is written at once.
    work_cv_.wait_for(lock, std::chrono::milliseconds(options_.idle_wake_ms),
                      [&] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) {
      if (stopping_) return;
      continue;
    }
    const size_t n = std::min(queue_.size(), options_.max_batch);
    std::vector<AuditRecord> batch(queue_.begin(), queue_.begin() + static_cast<long>(n));
    lock.unlock();
    Status s;
    // A log that throws is a failed append: the batch stays queued and is retried.
    if (auto error = RunGuarded("audit writer", [&] { s = log_->Append(batch); })) {
      s = Status::Internal("AUDIT_APPEND_THREW", *error);
    }
    lock.lock();
    if (s.ok()) {
      queue_.erase(queue_.begin(), queue_.begin() + static_cast<long>(n));
      written_ += static_cast<int64_t>(n);
      stats_.written += static_cast<int64_t>(n);
      ++stats_.batches;
      room_cv_.notify_all();
      continue;
    }
    ++stats_.failed_appends;
    log::Error("audit rows not written yet; will retry",
               {{"code", s.code()}, {"rows_queued", queue_.size()}});
    if (stopping_) {
      // Shutting down and the log refuses: say what is lost rather than hang the exit.
      log::Error("audit rows lost at shutdown", {{"rows", queue_.size()}});
      written_ += static_cast<int64_t>(queue_.size());
      queue_.clear();
      room_cv_.notify_all();
      return;
    }
    work_cv_.wait_for(lock, std::chrono::milliseconds(options_.retry_ms),
                      [&] { return stopping_; });
  }
}

}  // namespace ingestd
