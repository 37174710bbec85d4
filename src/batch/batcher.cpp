#include "batch/batcher.h"

#include <chrono>
#include <map>
#include <set>

#include "core/ids.h"
#include "core/log.h"
#include "pipeline/stages.h"

namespace ingestd {
namespace {

// The event a woken job gets, and what its lines made.
struct JobTally {
  std::string correlation_id;
  int64_t tokens = 0;
  int64_t vectors = 0;
  int64_t failed = 0;
  int64_t again = 0;
};

Status FirstError(const Status& so_far, const Status& s) { return so_far.ok() ? s : so_far; }

}  // namespace

Batcher::Batcher(BatcherDeps deps, BatcherOptions options)
    : deps_(deps), options_(std::move(options)) {}

Batcher::~Batcher() { Stop(); }

void Batcher::Start() {
  thread_ = std::thread([this] {
    std::unique_lock lock(mu_);
    while (!stop_) {
      lock.unlock();
      if (Status s = Tick(); !s.ok()) log::Warn("batcher step failed", {{"error", s.ToString()}});
      lock.lock();
      cv_.wait_for(lock, std::chrono::milliseconds(options_.poll_ms), [this] { return stop_; });
    }
  });
}

void Batcher::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Batcher::ReleaseAll(const std::vector<RunReservation>& reservations) {
  if (deps_.ledger == nullptr) return;
  for (const RunReservation& r : reservations) {
    // Best effort: one left open lapses, and a lapse charges it (OnExpiry::kCharge).
    if (!r.reservation_id.empty()) (void)deps_.ledger->Release(r.reservation_id);
  }
}

Status Batcher::Tick() {
  const int64_t now = deps_.clock->NowMillis();
  Result<bool> lead = deps_.batches->Lead(options_.holder, now, options_.lease_ms);
  if (!lead.ok()) return lead.status();
  if (!*lead) return Status();  // another process batches
  Result<std::vector<BatchRun>> runs = deps_.batches->OpenRuns();
  if (!runs.ok()) return runs.status();
  Status first;
  for (const BatchRun& run : *runs) {
    if (Status s = Advance(run); !s.ok()) {
      log::Warn("batch step failed", {{"run_id", run.id}, {"error", s.ToString()}});
      first = FirstError(first, s);
    }
  }
  return FirstError(first, Flush());
}

Result<std::vector<BatchInput>> Batcher::Inputs(const std::vector<QueuedChunk>& chunks) {
  std::map<std::string, std::map<std::string, std::string>> texts;  // document → chunk → text
  for (const QueuedChunk& c : chunks) texts[c.document_id];
  for (auto& [doc, by_id] : texts) {
    Result<std::vector<Chunk>> stored = deps_.store->GetChunks(doc);
    if (!stored.ok()) return stored.status();
    for (Chunk& c : *stored) by_id[c.id] = std::move(c.text);
  }
  std::vector<BatchInput> inputs;
  for (const QueuedChunk& c : chunks) {
    auto it = texts[c.document_id].find(c.chunk_id);
    // A chunk gone since (its document deleted or re-chunked) is not sent; it ends failed.
    if (it != texts[c.document_id].end()) inputs.push_back({c.chunk_id, it->second});
  }
  return inputs;
}

Status Batcher::Advance(BatchRun run) {
  const CallContext ctx{run.id, "", ""};
  if (run.input_file_id.empty()) {
    Result<std::vector<QueuedChunk>> chunks = deps_.batches->RunChunks(run.id);
    if (!chunks.ok()) return chunks.status();
    Result<std::vector<BatchInput>> inputs = Inputs(*chunks);
    if (!inputs.ok()) return inputs.status();
    if (inputs->empty()) {
      // Every chunk is gone (their documents deleted): nothing to send, nobody to wake, and
      // the reservations go back unspent.
      Result<std::vector<RunReservation>> held = deps_.batches->RunReservations(run.id);
      if (!held.ok()) return held.status();
      ReleaseAll(*held);
      return deps_.batches->FinishRun(run.id, "abandoned", {}).status();
    }
    Result<std::string> file = deps_.client->UploadInput(*inputs, ctx);
    if (!file.ok()) return Refused(run, file.status());
    run.input_file_id = *file;
    if (Status s = deps_.batches->UpdateRun(run); !s.ok()) return s;
  }
  if (run.batch_id.empty()) {
    // A create whose answer was lost (or a process that died before storing its id) made a
    // batch already: that one is ours.
    Result<std::optional<BatchState>> found = deps_.client->FindBatch(run.input_file_id, ctx);
    if (!found.ok()) return found.status();
    BatchState state;
    if (*found) {
      state = **found;
    } else {
      Result<BatchState> created = deps_.client->CreateBatch(run.input_file_id, ctx);
      if (!created.ok()) return Refused(run, created.status());
      state = *created;
    }
    run.batch_id = state.id;
    run.status = state.status;
    log::Info("batch created", {{"run_id", run.id}, {"batch_id", run.batch_id}});
    return deps_.batches->UpdateRun(run);
  }
  Result<BatchState> state = deps_.client->GetBatch(run.batch_id, ctx);
  if (!state.ok()) return state.status();
  if (!state->Finished()) {
    if (state->status == run.status) return Status();
    run.status = state->status;
    return deps_.batches->UpdateRun(run);
  }
  return Settle(run, *state);
}

Status Batcher::Refused(const BatchRun& run, const Status& error) {
  // A transient error is tried again next Tick; a refusal would be refused again forever
  // (no batch exists), so the run ends as a failed batch: everything to the synchronous API.
  if (error.retryable()) return error;
  log::Warn("batch refused, its chunks go to the synchronous API",
            {{"run_id", run.id}, {"error", error.ToString()}});
  BatchState refused;
  refused.status = "failed";
  refused.error = error.ToString();
  return Settle(run, refused);
}

Status Batcher::Settle(const BatchRun& run, const BatchState& state) {
  const CallContext ctx{run.id, "", ""};
  Result<std::vector<QueuedChunk>> chunks = deps_.batches->RunChunks(run.id);
  if (!chunks.ok()) return chunks.status();
  Result<std::vector<BatchInput>> inputs = Inputs(*chunks);
  if (!inputs.ok()) return inputs.status();
  Result<std::vector<BatchLineResult>> lines = deps_.client->ReadResults(state, *inputs, ctx);
  if (!lines.ok()) return lines.status();
  std::map<std::string, const BatchLineResult*> by_chunk;
  for (const BatchLineResult& r : *lines) by_chunk[r.custom_id] = &r;

  // Only a completed batch's failed lines may go again: after an expiry or a failure the
  // rest goes to the synchronous API at once.
  const bool may_retry =
      options_.failed_lines == FailedLines::kBatch && state.status == "completed";
  std::map<std::string, JobTally> jobs;
  std::vector<LineOutcome> outcomes;
  for (const QueuedChunk& c : *chunks) {
    JobTally& t = jobs[c.job_id];
    t.correlation_id = c.correlation_id;
    LineOutcome o{c.job_id, c.chunk_id, {}, 0, false};
    auto it = by_chunk.find(c.chunk_id);
    if (it != by_chunk.end()) {
      o.tokens = it->second->tokens;
      o.vector = it->second->vector;
    }
    t.tokens += o.tokens;
    if (!o.vector.empty()) {
      ++t.vectors;
    } else {
      o.again = may_retry && c.attempts + 1 < options_.max_line_attempts;
      ++(o.again ? t.again : t.failed);
    }
    outcomes.push_back(std::move(o));
  }

  // Each job pays what its lines were billed, at the batch price.
  Result<std::vector<RunReservation>> reservations = deps_.batches->RunReservations(run.id);
  if (!reservations.ok()) return reservations.status();
  const int64_t now = deps_.clock->NowMillis();
  for (const RunReservation& r : *reservations) {
    const JobTally& t = jobs[r.job_id];
    const int64_t cost = deps_.prices->EmbedBatchCost(run.model, t.tokens);
    if (deps_.ledger != nullptr && !r.reservation_id.empty()) {
      Status s = t.tokens > 0
                     ? deps_.ledger->Settle(r.reservation_id,
                                            Usage{cost, t.tokens, "tokens", run.model, false})
                     : deps_.ledger->Release(r.reservation_id);
      // Already settled (a Settle whose FinishRun did not commit): recorded once, as wanted.
      if (!s.ok() && s.code() != "RESERVATION_NOT_FOUND") return s;
    }
    RouteRecord route{"embed", "real", "openai-batch", "batch " + state.status, false, cost};
    if (Status s = deps_.store->RecordRoute(r.job_id, route, now);
        !s.ok() && s.code() != "JOB_NOT_FOUND") {
      return s;
    }
  }

  Result<std::vector<std::string>> settled =
      deps_.batches->FinishRun(run.id, state.status, outcomes);
  if (!settled.ok()) return settled.status();
  log::Info("batch settled", {{"run_id", run.id},
                              {"batch_id", run.batch_id},
                              {"status", state.status},
                              {"jobs_woken", settled->size()}});
  for (const std::string& job_id : *settled) {
    Result<BatchTurn> turn = deps_.batches->Turn(job_id);
    if (!turn.ok()) return turn.status();
    const JobTally& t = jobs[job_id];
    Event e;
    e.job_id = job_id;
    e.correlation_id = t.correlation_id;
    e.type = "provider";
    e.stage = "embed";
    e.code = turn->failed > 0 ? kEmbedBatchFallbackCode : kEmbedBatchDoneCode;
    e.payload = {{"batch_id", run.batch_id},
                 {"batch_status", state.status},
                 {"vectors", turn->vectors.size()},
                 {"left_to_sync", turn->failed}};
    e.at_ms = now;
    Result<bool> woke = deps_.store->WakeParkedJob(job_id, JobStatus::kEmbeddingBatched, e, now);
    if (!woke.ok()) return woke.status();
    if (!*woke) {
      // Not parked: a job that is gone keeps nothing here; a running one reads its turn.
      Result<Job> job = deps_.store->GetJobUnscoped(job_id);
      if (!job.ok() && job.status().kind() == Kind::kNotFound) {
        if (Status s = deps_.batches->Forget(job_id); !s.ok()) return s;
      }
    }
  }
  return Status();
}

Status Batcher::Flush() {
  Result<std::vector<QueuedChunk>> waiting =
      deps_.batches->ListWaiting(static_cast<int64_t>(options_.max_requests));
  if (!waiting.ok()) return waiting.status();
  if (waiting->empty()) return Status();
  const int64_t now = deps_.clock->NowMillis();
  if (waiting->size() < options_.max_requests &&
      now - waiting->front().enqueued_at_ms < options_.flush_ms) {
    return Status();
  }
  BatchRun run;
  run.id = NewUuidV4();
  run.model = deps_.batches->model();
  run.created_at_ms = now;
  // Per job: its tokens reserved at the batch price. custom_ids are chunk ids, so a chunk id
  // twice (two jobs of one document) waits for the next batch.
  std::map<std::string, std::vector<const QueuedChunk*>> by_job;
  std::set<std::string> ids;
  for (const QueuedChunk& c : *waiting) {
    if (ids.insert(c.chunk_id).second) by_job[c.job_id].push_back(&c);
  }
  std::vector<QueuedChunk> chunks;
  std::vector<RunReservation> reservations;
  int64_t file_bytes = 0;
  for (auto& [job_id, list] : by_job) {
    // Within the file size: the chunks past it (this job's and the next jobs') wait for the
    // next batch.
    size_t fit = 0;
    for (; fit < list.size(); ++fit) {
      const int64_t line =
          BatcherOptions::kLineBytes + BatcherOptions::kBytesPerToken * list[fit]->tokens;
      if (!chunks.empty() || fit > 0) {
        if (file_bytes + line > options_.max_file_bytes) break;
      }
      file_bytes += line;
    }
    list.resize(fit);
    if (list.empty()) break;
    RunReservation r{job_id, ""};
    if (deps_.ledger != nullptr) {
      int64_t tokens = 0;
      for (const QueuedChunk* c : list) tokens += c->tokens;
      ReserveRequest req;
      req.service = "embed";
      req.estimate_nanos = deps_.prices->EmbedBatchCost(run.model, tokens);
      req.user_id = list.front()->user_id;
      req.job_id = job_id;
      req.correlation_id = list.front()->correlation_id;
      // Nobody extends it while the batch runs: it lasts the completion window and more, and
      // a batcher that vanished is charged (the batch may have been billed).
      req.expires_at_ms = now + 25 * 3600 * 1000LL;
      req.on_expiry = OnExpiry::kCharge;
      req.processing_priority = list.front()->priority;
      Result<Reservation> res = deps_.ledger->Reserve(req);
      if (!res.ok()) {
        if (res.status().kind() != Kind::kBudgetExceeded) return res.status();
        log::Info("batch job waits for budget",
                  {{"job_id", job_id}, {"code", res.status().code()}});
        continue;
      }
      r.reservation_id = res->id;
    }
    reservations.push_back(std::move(r));
    for (const QueuedChunk* c : list) chunks.push_back(*c);
  }
  if (chunks.empty()) return Status();
  if (Status s = deps_.batches->CreateRun(run, chunks, reservations); !s.ok()) {
    ReleaseAll(reservations);  // not stored: nothing was sent
    return s;
  }
  log::Info("batch packed",
            {{"run_id", run.id}, {"chunks", chunks.size()}, {"jobs", reservations.size()}});
  return Advance(std::move(run));
}

}  // namespace ingestd
