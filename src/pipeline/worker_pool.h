// WorkerPool: N threads, each looping Worker::RunOnce with an idle wait, plus a heartbeat
// thread that extends the leases of in-flight jobs.
//
// Lifecycle: construct → Start() → Notify() whenever new work is queued (an upload) →
// Stop() (or destruction). When the store pushes wake-ups (Store::SubscribeJobQueued, e.g.
// jobs queued by other processes on PostgreSQL), Start subscribes Notify to them and idle
// workers poll only every notified_idle_poll_ms.
// Stop stops claiming, waits up to options.stop_grace_ms for
// in-flight stages, releases the claims of those still running (so another process can take
// them at once), then joins every thread. A stage stuck in an upstream call still delays
// the join, but its job is already back in the queue.
// Thread safety: Notify may be called from any thread; Start/Stop from one owner thread.
// A pool runs once: Start after Stop does nothing.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "pipeline/pipeline_options.h"
#include "pipeline/worker.h"

namespace ingestd {

class WorkerPool {
 public:
  // Worker ids are "<id_prefix>-<n>"; an empty prefix becomes "w-<8 random hex>", unique
  // per process start so a restarted process never mistakes an old claim for its own.
  WorkerPool(PipelineDeps deps, PipelineOptions options, std::string id_prefix = "");
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  void Start();
  // Wakes an idle worker now instead of at its next poll.
  void Notify();
  void Stop();

 private:
  void RunLoop(Worker& worker);
  void HeartbeatLoop();

  const PipelineOptions options_;
  Store* const store_;
  std::unique_ptr<StoreSubscription> wakeups_;  // set by Start when the store has them
  int64_t idle_poll_ms_;                        // set by Start, before the threads
  std::vector<std::unique_ptr<Worker>> workers_;
  std::vector<std::thread> threads_;
  std::thread heartbeat_;

  std::mutex mu_;
  std::condition_variable wake_;       // idle workers wait here
  std::condition_variable beat_wake_;  // the heartbeat waits here (Stop wakes it)
  std::condition_variable drained_;    // Stop waits here for in-flight stages
  bool started_ = false;               // guarded by mu_
  bool stopping_ = false;              // guarded by mu_
  uint64_t generation_ = 0;            // guarded by mu_; bumped by Notify
  int running_stages_ = 0;             // guarded by mu_
};

}  // namespace ingestd
