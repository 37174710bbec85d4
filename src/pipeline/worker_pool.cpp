#include "pipeline/worker_pool.h"

#include <algorithm>
#include <chrono>

#include "core/ids.h"
#include "core/last_resort.h"
#include "core/log.h"

namespace ingestd {

WorkerPool::WorkerPool(PipelineDeps deps, PipelineOptions options, std::string id_prefix)
    : options_(options), store_(deps.store), idle_poll_ms_(options.idle_poll_ms) {
  if (id_prefix.empty()) id_prefix = "w-" + NewUuidV4().substr(0, 8);
  for (int i = 0; i < options_.workers; ++i) {
    workers_.push_back(
        std::make_unique<Worker>(deps, options_, id_prefix + "-" + std::to_string(i)));
  }
}

WorkerPool::~WorkerPool() { Stop(); }

void WorkerPool::Start() {
  {
    std::lock_guard lock(mu_);
    if (started_) return;
    started_ = true;
  }
  if (store_ != nullptr) wakeups_ = store_->SubscribeJobQueued([this] { Notify(); });
  if (wakeups_) idle_poll_ms_ = std::max(options_.idle_poll_ms, options_.notified_idle_poll_ms);
  for (auto& w : workers_) threads_.emplace_back([this, &w] { RunLoop(*w); });
  heartbeat_ = std::thread([this] { HeartbeatLoop(); });
  log::Info("worker pool started", {{"workers", workers_.size()},
                                    {"lease_ms", options_.lease_ms},
                                    {"store_wakeups", wakeups_ != nullptr},
                                    {"idle_poll_ms", idle_poll_ms_}});
}

void WorkerPool::Notify() {
  {
    std::lock_guard lock(mu_);
    ++generation_;
  }
  wake_.notify_one();
}

void WorkerPool::RunLoop(Worker& worker) {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    const uint64_t seen = generation_;
    ++running_stages_;
    lock.unlock();
    bool worked = false;  // a round that threw waits like an idle one, then goes on
    RunGuarded("pipeline worker", [&] { worked = worker.RunOnce(); });
    lock.lock();
    if (--running_stages_ == 0 && stopping_) drained_.notify_all();
    if (worked) continue;
    // A Notify between RunOnce and here bumped generation_: no lost wake-up.
    wake_.wait_for(lock, std::chrono::milliseconds(idle_poll_ms_),
                   [&] { return stopping_ || generation_ != seen; });
  }
}

void WorkerPool::HeartbeatLoop() {
  const auto interval = std::chrono::milliseconds(options_.EffectiveHeartbeatMs());
  std::unique_lock lock(mu_);
  while (!stopping_ || running_stages_ > 0) {
    lock.unlock();
    RunGuarded("worker heartbeat", [&] {
      for (auto& w : workers_) w->Heartbeat();
    });
    lock.lock();
    // Keeps beating after Stop until the in-flight stages are done.
    beat_wake_.wait_for(lock, interval);
  }
}

void WorkerPool::StopClaiming() {
  {
    std::lock_guard lock(mu_);
    if (!started_ || stopping_) return;
    stopping_ = true;
  }
  wake_.notify_all();
  log::Info("worker pool draining", {{"drain_ms", options_.drain_ms}});
}

void WorkerPool::Stop() {
  wakeups_.reset();  // no Notify from the store's thread once stopping
  StopClaiming();
  std::unique_lock lock(mu_);
  if (!started_ || threads_.empty()) return;
  const bool drained = drained_.wait_for(lock, std::chrono::milliseconds(options_.drain_ms),
                                         [&] { return running_stages_ == 0; });
  const int running = running_stages_;
  lock.unlock();
  if (!drained) {
    // Each worker releases its own claim once its stage has stopped, never before.
    log::Warn("drain time over: cancelling in-flight stages", {{"running_stages", running}});
    for (auto& w : workers_) w->Cancel();
  }
  for (auto& t : threads_) t.join();
  {
    std::lock_guard relock(mu_);
    beat_wake_.notify_all();
  }
  heartbeat_.join();
  threads_.clear();
  log::Info("worker pool stopped", {{"cancelled_stages", drained ? 0 : running}});
}

}  // namespace ingestd
