// WorkerPool: N threads, each looping Worker::RunOnce with an idle wait, plus a heartbeat
// thread that extends the leases of in-flight jobs.
//
// Lifecycle: construct → Start() → Notify() whenever new work is queued (an upload) →
// Stop() (or destruction). When the store pushes wake-ups (Store::SubscribeJobQueued, e.g.
// jobs queued by other processes on PostgreSQL), Start subscribes Notify to them and idle
// workers poll only every notified_idle_poll_ms.
// Stop stops claiming, waits up to options.drain_ms for in-flight stages to finish, then
// cancels those still running (Worker::Cancel: they stop at their next checkpoint, between
// provider requests, and release their own claims) and joins every thread. A claim is never
// handed back while its stage runs: leases are extended until the last stage has ended.
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
  // No job is claimed from now on (stages in flight go on); returns at once. For the first
  // moment of a shutdown, before the rest of the process stops.
  void StopClaiming();
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
