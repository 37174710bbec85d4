#include "pipeline/worker.h"

#include <algorithm>

#include "core/last_resort.h"
#include "core/log.h"
#include "core/trace.h"

namespace ingestd {
namespace {

// Budget exhaustion and an open circuit say nothing about the document: waiting fixes them.
bool IsWaitNotFailure(const Status& s) {
  return s.retryable() && (s.kind() == Kind::kBudgetExceeded || s.code() == "SERVICE_UNAVAILABLE");
}

bool IsLeaseLost(const Status& s) {
  return s.kind() == Kind::kConflict && s.code() == "LEASE_LOST";
}

nlohmann::json JobFields(const Job& job, std::string_view stage, const std::string& worker) {
  return {{"correlation_id", job.correlation_id},
          {"job_id", job.id},
          {"stage", stage},
          {"worker_id", worker}};
}

Event StageEvent(const Job& job, const StageInfo& info, std::string_view type,
                 std::string_view code, nlohmann::json payload, int64_t at_ms) {
  Event e;
  e.job_id = job.id;
  e.correlation_id = job.correlation_id;
  e.type = std::string(type);
  e.code = std::string(code);
  e.stage = std::string(info.name);
  e.payload = std::move(payload);
  e.at_ms = at_ms;
  return e;
}

}  // namespace

Worker::Worker(PipelineDeps deps, PipelineOptions options, std::string worker_id)
    : deps_(deps),
      options_(options),
      id_(std::move(worker_id)),
      runner_(deps_, options_),
      rng_(std::random_device{}()) {}

bool Worker::RunOnce() {
  Result<std::optional<Job>> claimed =
      deps_.store->ClaimNext(id_, deps_.clock->NowMillis(), options_.lease_ms);
  if (!claimed.ok()) {
    log::Warn("claim failed", {{"worker_id", id_},
                               {"code", claimed.status().code()},
                               {"error", claimed.status().message()}});
    return false;
  }
  if (!claimed->has_value()) return false;
  const Job job = std::move(**claimed);
  // One span per claim: a child of the span that created the job, in whichever process.
  const std::optional<Stage> claimed_stage = StageFor(job.status);
  trace::Span span(
      std::string("stage ") + std::string(claimed_stage ? Info(*claimed_stage).name : "pipeline"),
      trace::SpanKind::kInternal,
      trace::ParentOf(job.traceparent, job.tracestate, job.correlation_id));
  span.SetAttribute("ingestd.job_id", job.id);
  span.SetAttribute("ingestd.worker_id", id_);
  span.SetAttribute("ingestd.attempt", job.retry_count + 1);
  trace::ScopedSpan active(span);
  SetInFlight(job.id, job.correlation_id, span.context());
  // The last resort: an exception out of a stage (or the store) must not end this thread,
  // and with it the process. The stage fails retryably, like any unexpected error; if even
  // that throws, the claim's lease expires and the job is claimed again.
  const nlohmann::json fields = JobFields(job, "pipeline", id_);
  const std::optional<std::string> threw = RunGuarded(
      "pipeline stage",
      [&] {
        if (job.reclaimed_from.empty() || TakeOverLostJob(job)) RunStage(job);
      },
      fields);
  if (threw) {
    const std::optional<Stage> stage = StageFor(job.status);
    RunGuarded(
        "recording a stage that threw",
        [&] {
          HandleFailure(
              job, stage ? Info(*stage).name : "pipeline",
              Status::Error(Kind::kInternal, "STAGE_THREW", "stage threw: " + *threw, true));
        },
        fields);
  }
  SetInFlight("", "", {});
  return true;
}

void Worker::RunStage(const Job& job) {
  const std::optional<Stage> stage = StageFor(job.status);
  if (!stage) {
    HandleFailure(job, "pipeline",
                  Status::Internal("NO_STAGE_FOR_STATUS", "no stage runs from status " +
                                                              std::string(ToString(job.status))));
    return;
  }
  const StageInfo& info = Info(*stage);
  const int64_t started_at = deps_.clock->NowMillis();
  const int64_t t0 = deps_.clock->MonotonicMillis();
  log::Debug("stage started", JobFields(job, info.name, id_));

  Result<Document> doc = deps_.store->GetDocumentUnscoped(job.document_id);
  if (!doc.ok()) return HandleFailure(job, info.name, doc.status());
  // A parked parse resumes without a new start: it began when it was submitted.
  if (job.status != JobStatus::kParseSubmitted) {
    if (Status s = BeginStage(job, *stage, started_at); !s.ok()) {
      return HandleFailure(job, info.name, s);
    }
  }
  int64_t last_report = t0;
  const StageHooks hooks{[&](int pct) { return ReportProgress(job, *stage, pct, &last_report); },
                         [&](std::vector<VectorRecord> vectors, int pct) {
                           return KeepWorking(job, *stage, pct, std::move(vectors));
                         }};
  Result<StageOutput> out = runner_.Run(*stage, job, *doc, hooks);
  if (!out.ok()) return HandleFailure(job, info.name, out.status());
  if (out->park_for_ms) return Park(job, info, *out);

  const int64_t finished_at = deps_.clock->NowMillis();
  const int64_t ms = deps_.clock->MonotonicMillis() - t0;
  const bool final_stage = info.done_status == JobStatus::kComplete;
  StageCommit c;
  c.job_id = job.id;
  c.worker_id = id_;
  c.to = info.done_status;
  c.next_state = final_stage ? QueueState::kDone : QueueState::kQueued;
  c.chunks = std::move(out->chunks);
  c.page_count = out->page_count;
  out->payload["ms"] = ms;
  for (Event& e : out->events) {
    c.events.push_back(StageEvent(job, info, e.type, e.code, std::move(e.payload), finished_at));
  }
  c.events.push_back(StageEvent(job, info, final_stage ? "finalized" : "stage_done", info.done_code,
                                std::move(out->payload), finished_at));
  c.timings_patch = {
      {info.name, {{"started_at", started_at}, {"finished_at", finished_at}, {"ms", ms}}}};
  c.now_ms = finished_at;
  if (Status s = deps_.store->CommitStage(c); !s.ok()) return HandleFailure(job, info.name, s);

  nlohmann::json fields = JobFields(job, info.name, id_);
  fields["code"] = info.done_code;
  fields["ms"] = ms;
  fields["status"] = ToString(info.done_status);
  log::Info(final_stage ? "job complete" : "stage done", fields);
  if (options_.on_stage_done) options_.on_stage_done(info.name, ms);
  if (final_stage && options_.on_job_finished) options_.on_job_finished(job, false);
}

bool Worker::TakeOverLostJob(const Job& job) {
  // The claim already counted the lost lease as an attempt (Store::ClaimNext).
  const std::optional<Stage> stage = StageFor(job.status);
  const std::string_view stage_name = stage ? Info(*stage).name : std::string_view("pipeline");
  const int64_t now = deps_.clock->NowMillis();
  const LastError lost{"WORKER_LOST",
                       "worker " + job.reclaimed_from + " died or stalled in the " +
                           std::string(stage_name) + " stage (its lease expired)",
                       std::string(stage_name), now};
  nlohmann::json fields = JobFields(job, stage_name, id_);
  fields["lost_worker"] = job.reclaimed_from;
  fields["attempts"] = job.retry_count;
  Event e;
  e.job_id = job.id;
  e.correlation_id = job.correlation_id;
  e.type = "error";
  e.code = lost.code;
  e.stage = lost.stage;
  e.payload = {{"lost_worker", job.reclaimed_from},
               {"attempts", job.retry_count},
               {"max_attempts", options_.max_attempts}};
  e.at_ms = now;
  if (Status s = deps_.store->AppendEvent(e); !s.ok()) fields["record_error"] = s.ToString();
  if (job.retry_count < options_.max_attempts) {
    log::Warn("took over a job whose worker was lost", fields);
    return true;
  }
  log::Error("job dead-lettered: its workers kept dying in the stage", fields);
  Status s = deps_.store->DeadLetter(job.id, id_, lost, now);
  if (s.ok() && options_.on_job_finished) options_.on_job_finished(job, true);
  if (!s.ok()) {
    fields["record_error"] = s.ToString();
    log::Error("could not record the failure", fields);
  }
  return false;
}

void Worker::Park(const Job& job, const StageInfo& info, const StageOutput& out) {
  const int64_t now = deps_.clock->NowMillis();
  StageCommit c;
  c.job_id = job.id;
  c.worker_id = id_;
  c.to = out.park_status;
  c.next_state = QueueState::kRetryable;
  c.retry_at_ms = now + *out.park_for_ms;
  c.events.push_back(StageEvent(job, info, "provider", out.park_code, out.payload, now));
  c.now_ms = now;
  if (Status s = deps_.store->CommitStage(c); !s.ok()) return HandleFailure(job, info.name, s);
  nlohmann::json fields = JobFields(job, info.name, id_);
  fields["retry_in_ms"] = *out.park_for_ms;
  log::Debug("stage parked", fields);
}

Status Worker::BeginStage(const Job& job, Stage stage, int64_t started_at) {
  const StageInfo& info = Info(stage);
  Event started = StageEvent(job, info, "stage_started", info.start_code,
                             {{"attempt", job.retry_count + 1}}, started_at);
  if (!info.entry_status || job.status == *info.entry_status) {
    return deps_.store->AppendEvent(started);
  }
  StageCommit c;
  c.job_id = job.id;
  c.worker_id = id_;
  c.to = *info.entry_status;
  c.next_state = QueueState::kWorking;  // keep the claim: the stage runs now
  c.events.push_back(std::move(started));
  c.now_ms = started_at;
  return deps_.store->CommitStage(c);
}

Status Worker::ReportProgress(const Job& job, Stage stage, int pct, int64_t* last_report_mono) {
  if (Status s = CheckCancelled(); !s.ok()) return s;
  const int64_t now_mono = deps_.clock->MonotonicMillis();
  if (now_mono - *last_report_mono < options_.progress_interval_ms) return Status();
  *last_report_mono = now_mono;
  return KeepWorking(job, stage, pct, {});
}

Status Worker::KeepWorking(const Job& job, Stage stage, int pct,
                           std::vector<VectorRecord> vectors) {
  StageCommit c;
  c.job_id = job.id;
  c.worker_id = id_;
  c.to = Info(stage).entry_status.value_or(job.status);
  c.next_state = QueueState::kWorking;
  c.vectors = std::move(vectors);
  c.stage_pct = pct;
  c.now_ms = deps_.clock->NowMillis();
  if (Status s = deps_.store->CommitStage(c); !s.ok()) return s;
  return CheckCancelled();  // after the commit: what was paid for is kept
}

Status Worker::CheckCancelled() const {
  if (!cancelled_.load(std::memory_order_acquire)) return Status();
  return Status::Error(Kind::kConflict, kStageCancelledCode,
                       "the worker is shutting down; the stage stopped between provider requests",
                       false);
}

void Worker::HandleFailure(const Job& job, std::string_view stage, const Status& error) {
  trace::MarkCurrentError(error.code());
  nlohmann::json fields = JobFields(job, stage, id_);
  fields["code"] = error.code();
  fields["error"] = error.message();
  if (IsLeaseLost(error)) {
    log::Warn("lease lost; another worker owns the job now", fields);
    return;
  }
  const int64_t now = deps_.clock->NowMillis();
  if (IsStageCancelled(error)) {
    // Shutdown, not a failure: the stage has ended, so its claim can go back (no attempt
    // used); the next claim resumes from what the stage stored.
    Event e;
    e.job_id = job.id;
    e.correlation_id = job.correlation_id;
    e.type = "retry";
    e.code = error.code();
    e.stage = std::string(stage);
    e.payload = {{"worker_id", id_}};
    e.at_ms = now;
    Status s = deps_.store->AppendEvent(e);
    if (s.ok()) s = deps_.store->ReleaseClaim(job.id, id_, now);
    fields["result"] = s.ToString();
    log::Warn("stage cancelled for shutdown; job released", fields);
    return;
  }
  const LastError last{error.code(), error.message(), std::string(stage), now};
  const int attempt = job.retry_count + 1;
  fields["attempt"] = attempt;
  Status s;
  if (IsWaitNotFailure(error)) {
    // An exhausted budget (or a real service whose circuit is open) is no failure of the
    // document: the job waits for the window with room, however many times (DESIGN.md §4).
    const int64_t delay =
        std::max<int64_t>(error.retry_after_ms().value_or(options_.backoff.max_delay_ms), 1);
    fields["retry_in_ms"] = delay;
    log::Warn("stage deferred; waiting for budget or service", fields);
    s = deps_.store->ScheduleRetry(job.id, id_, now + delay, last, now,
                                   /*counts_as_attempt=*/false);
  } else if (error.retryable() && attempt < options_.max_attempts) {
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    // A provider's Retry-After (carried on the Status) sets a floor under the backoff.
    const int64_t delay =
        BackoffDelayMs(options_.backoff, attempt, unit(rng_), error.retry_after_ms());
    fields["retry_in_ms"] = delay;
    log::Warn("stage failed; retry scheduled", fields);
    s = deps_.store->ScheduleRetry(job.id, id_, now + delay, last, now, /*counts_as_attempt=*/true);
  } else {
    log::Error("stage failed; job dead-lettered", fields);
    s = deps_.store->DeadLetter(job.id, id_, last, now);
    if (s.ok() && options_.on_job_finished) options_.on_job_finished(job, true);
  }
  if (!s.ok()) {
    // The lease will expire and the job will be claimed again; nothing is lost.
    fields["record_error"] = s.ToString();
    log::Error("could not record the failure", fields);
  }
}

void Worker::Heartbeat() {
  std::lock_guard lock(mu_);
  if (in_flight_.empty()) return;
  Status s =
      deps_.store->ExtendLease(in_flight_, id_, deps_.clock->NowMillis() + options_.lease_ms);
  if (!s.ok()) {
    // LEASE_LOST here usually means the stage committed a moment ago; a real loss is
    // logged by the stage's own commit.
    log::Write(IsLeaseLost(s) ? log::Level::kDebug : log::Level::kWarn, "lease extension failed",
               {{"correlation_id", in_flight_correlation_},
                {"job_id", in_flight_},
                {"trace_id", in_flight_trace_.trace_id},
                {"span_id", in_flight_trace_.span_id},
                {"worker_id", id_},
                {"code", s.code()}});
  }
}

void Worker::Cancel() { cancelled_.store(true, std::memory_order_release); }

bool Worker::busy() const {
  std::lock_guard lock(mu_);
  return !in_flight_.empty();
}

void Worker::SetInFlight(const std::string& job_id, const std::string& correlation_id,
                         const trace::SpanContext& span) {
  std::lock_guard lock(mu_);
  in_flight_ = job_id;
  in_flight_correlation_ = correlation_id;
  in_flight_trace_ = span;
}

}  // namespace ingestd
