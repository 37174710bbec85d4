// Worker: claims one job at a time and runs one stage of it.
//
// A stage may park instead (StageOutput::park_for_ms: a parse its provider still works
// on): one commit sets parse_submitted, state retryable with retry_at, a PARSE_PARKED event,
// and releases the claim; no attempt is used. A later claim resumes the stage.
//
// RunOnce(): ClaimNext (lease) → stage_started event (inside a small commit that sets the
// stage's entry status and keeps the claim, when the stage has one) → the stage body →
// CommitStage, which advances the status, writes the stage's rows, the stage_done event and
// the stage timings in one transaction, and releases the claim (state queued, or done after
// finalize). On failure: retryable errors are rescheduled with backoff until max_attempts,
// then dead-lettered; permanent errors are dead-lettered at once; LEASE_LOST means another
// worker owns the job now, so the result is dropped. A claim of an expired lease (its worker
// died in the stage) is an attempt too: WORKER_LOST, dead-lettered after max_attempts.
//
// Each claim runs in a span (core/trace.h) named after its stage, a child of the job's stored
// trace context, so its log lines, ledger calls and provider requests join the upload's trace.
//
// Shutdown: Cancel() makes the running stage stop at its next checkpoint (between provider
// requests: the embed stage after storing each request's vectors); the worker then appends
// STAGE_CANCELLED and releases the claim itself, once the stage has ended. A claim is never
// handed back while its stage runs.
//
// Thread safety: RunOnce is called by one thread at a time; Heartbeat and Cancel may be
// called from another thread (the pool's) concurrently with it.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <random>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/trace.h"
#include "pipeline/pipeline_options.h"
#include "pipeline/stages.h"

namespace ingestd {

class Worker {
 public:
  // worker_id must be unique among all live workers of every process sharing the store.
  Worker(PipelineDeps deps, PipelineOptions options, std::string worker_id);

  // Returns true when a job was claimed (whatever became of it), false when nothing was
  // runnable or the store could not be reached.
  bool RunOnce();

  // Extends the lease of the job being worked on, if any, to now + lease_ms.
  void Heartbeat();
  // Asks the stage in flight (and every later one) to stop at its next checkpoint. For
  // shutdown past its drain time.
  void Cancel();
  bool busy() const;
  const std::string& id() const { return id_; }

 private:
  void RunStage(const Job& job);
  // A claim that took over an expired lease: records WORKER_LOST and dead-letters the job
  // once the lost leases used up max_attempts. True when the stage should run again.
  bool TakeOverLostJob(const Job& job);
  Status BeginStage(const Job& job, Stage stage, int64_t started_at);
  // Records stage_pct (throttled by options.progress_interval_ms) while keeping the claim.
  Status ReportProgress(const Job& job, Stage stage, int pct, int64_t* last_report_mono);
  // Records stage_pct and stores vectors at once, keeping the claim; STAGE_CANCELLED after
  // the commit once Cancel was called.
  Status KeepWorking(const Job& job, Stage stage, int pct, std::vector<VectorRecord> vectors);
  Status CheckCancelled() const;
  void HandleFailure(const Job& job, std::string_view stage, const Status& error);
  // Parks the job as parse_submitted until out.park_for_ms from now, releasing the claim.
  void Park(const Job& job, const StageInfo& info, const StageOutput& out);
  void SetInFlight(const std::string& job_id, const std::string& correlation_id,
                   const trace::SpanContext& span);

  const PipelineDeps deps_;
  const PipelineOptions options_;
  const std::string id_;
  const StageRunner runner_;
  std::mt19937_64 rng_;  // jitter; used by the RunOnce thread only
  std::atomic<bool> cancelled_{false};

  mutable std::mutex mu_;
  std::string in_flight_;               // guarded by mu_; the claimed job's id, or empty
  std::string in_flight_correlation_;   // guarded by mu_
  trace::SpanContext in_flight_trace_;  // guarded by mu_; the claim's span
};

}  // namespace ingestd
