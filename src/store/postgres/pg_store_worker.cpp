// PgStore: the worker-side writes (claim, lease, stage commits, retries, dead letters).
// Every one except ClaimNext and ExtendLease first locks the job under the lease inside its
// transaction (SELECT … FOR UPDATE), so a worker whose lease was taken over changes
// nothing (LEASE_LOST) and the job row is always the first lock taken.
#include "store/callback_codec.h"
#include "store/postgres/pg_callbacks.h"
#include "store/postgres/pg_rows.h"
#include "store/postgres/pg_sql.h"
#include "store/postgres/pg_store.h"
#include "store/store_codes.h"

namespace ingestd::pg {
namespace {

namespace codes = store_codes;
using record::OrNotFound;

// kClaimNext returns the 27 INGESTD_JOB_COLUMNS, then the worker that lost the lease.
constexpr int kJobColumnCount = 27;

Result<Job> LockLeasedJob(PgConn& c, std::string_view job_id, std::string_view worker_id) {
  return OrNotFound(
      QueryOne<Job>(c, sql::kLockLeasedJob, PgParams().Add(job_id).Add(worker_id), ReadJob),
      codes::LeaseLost);
}

// Runs a lease-guarded UPDATE; LEASE_LOST when it matched no row.
Status UpdateUnderLease(PgConn& c, const char* sql, const PgParams& params) {
  Result<int64_t> changed = Execute(c, sql, params);
  if (!changed.ok()) return changed.status();
  return *changed == 1 ? Status() : codes::LeaseLost();
}

nlohmann::json ErrorPayload(const LastError& err) {
  return {{"code", err.code}, {"message", err.message}};
}

// Rows of a stage must belong to the job's document; an empty document_id means "this one".
bool BelongsTo(const std::string& row_doc, const std::string& doc_id) {
  return row_doc.empty() || row_doc == doc_id;
}

// Appends the statements that replace the document's chunks (dropping their vectors).
Status AddReplaceChunks(const std::string& doc_id, const std::vector<Chunk>& chunks,
                        std::vector<BatchItem>* batch) {
  for (const Chunk& chunk : chunks) {  // validated before anything is written
    if (!BelongsTo(chunk.document_id, doc_id) || chunk.id.empty()) {
      return codes::InvalidRecord("chunk id missing or chunk of another document");
    }
  }
  batch->push_back({sql::kDeleteDocumentVectors, PgParams().Add(doc_id)});
  batch->push_back({sql::kDeleteDocumentChunks, PgParams().Add(doc_id)});
  for (const Chunk& chunk : chunks)
    batch->push_back({sql::kInsertChunk, ChunkParams(chunk, doc_id)});
  return Status();
}

Status AddUpsertVectors(const std::string& doc_id, const std::vector<VectorRecord>& vectors,
                        int64_t now_ms, std::vector<BatchItem>* batch) {
  for (const VectorRecord& v : vectors) {
    if (!BelongsTo(v.document_id, doc_id) || v.model.empty()) {
      return codes::InvalidRecord("vector model missing or vector of another document");
    }
    batch->push_back({sql::kUpsertVector, VectorParams(v, v.model, doc_id, now_ms)});
  }
  return Status();
}

}  // namespace

Result<std::optional<Job>> PgStore::ClaimNext(std::string_view worker_id, int64_t now_ms,
                                              int64_t lease_ms) {
  if (worker_id.empty()) return codes::InvalidRecord("worker_id is required");
  // One statement in its own implicit transaction: no BEGIN/COMMIT round trips.
  return Autocommit([&](PgConn& c) {
    return QueryOne<Job>(c, sql::kClaimNext, PgParams().Add(worker_id).Add(now_ms).Add(lease_ms),
                         [](const PgRow& row) -> Result<Job> {
                           Result<Job> job = ReadJob(row);
                           if (job.ok()) job->reclaimed_from = row.Text(kJobColumnCount);
                           return job;
                         });
  });
}

Status PgStore::ExtendLease(std::string_view job_id, std::string_view worker_id, int64_t until_ms) {
  return Autocommit([&](PgConn& c) {
    return UpdateUnderLease(c, sql::kExtendLease,
                            PgParams().Add(job_id).Add(worker_id).Add(until_ms));
  });
}

Status PgStore::CommitStage(const StageCommit& commit) {
  return pool_.Transaction([&](PgConn& c) -> Status {
    // Round trip 1: BEGIN and the lease check, which locks the job row first.
    Result<Job> job = LockLeasedJob(c, commit.job_id, commit.worker_id);
    if (!job.ok()) return job.status();
    const std::string& doc_id = job->document_id;
    // Round trip 2: every write and COMMIT, pipelined; the document before its chunks (the
    // lock order). A failure skips the rest and the transaction rolls back.
    std::vector<BatchItem> batch;
    if (commit.page_count) {
      batch.push_back({sql::kSetPageCount, PgParams().Add(doc_id).Add(*commit.page_count)});
    }
    if (commit.chunks) {
      if (Status s = AddReplaceChunks(doc_id, *commit.chunks, &batch); !s.ok()) return s;
    }
    if (Status s = AddUpsertVectors(doc_id, commit.vectors, commit.now_ms, &batch); !s.ok())
      return s;
    for (Event e : commit.events) {
      if (e.job_id.empty()) e.job_id = job->id;
      if (e.correlation_id.empty()) e.correlation_id = job->correlation_id;
      batch.push_back({sql::kInsertEvent, EventParams(e)});
    }
    if (commit.next_state == QueueState::kDone) {
      batch.push_back({callbacks::kQueueCallback,
                       callbacks::QueueParams(job->id, callback_codec::kCompleted, commit.now_ms)});
    }
    nlohmann::json timings = job->timings;
    if (commit.timings_patch.is_object()) timings.merge_patch(commit.timings_patch);
    // Cannot miss: the row is locked under this lease since round trip 1.
    batch.push_back({sql::kFinishStage, PgParams()
                                            .Add(commit.job_id)
                                            .Add(commit.worker_id)
                                            .Add(ToString(commit.to))
                                            .Add(ToString(commit.next_state))
                                            .Add(commit.stage_pct)
                                            .Add(record::DumpJson(timings))
                                            .Add(commit.now_ms)
                                            .Add(commit.retry_at_ms)});
    Result<std::vector<int64_t>> done = c.RunBatch(batch, /*commit=*/true);
    return done.ok() ? Status() : done.status();
  });
}

Status PgStore::ScheduleRetry(std::string_view job_id, std::string_view worker_id,
                              int64_t retry_at_ms, const LastError& err, int64_t now_ms,
                              bool counts_as_attempt) {
  return pool_.Transaction([&](PgConn& c) -> Status {
    Result<Job> job = LockLeasedJob(c, job_id, worker_id);
    if (!job.ok()) return job.status();
    Status s = UpdateUnderLease(c, sql::kScheduleRetry,
                                PgParams()
                                    .Add(job_id)
                                    .Add(worker_id)
                                    .Add(retry_at_ms)
                                    .Add(record::LastErrorToJson(err))
                                    .Add(now_ms)
                                    .Add(counts_as_attempt ? 1 : 0));
    if (!s.ok()) return s;
    return InsertEvent(
        c,
        Event{0, job->id, job->correlation_id, codes::kTypeRetry, codes::kRetryScheduled, err.stage,
              nlohmann::json{{"retry_at", retry_at_ms},
                             {"retry_count", job->retry_count + (counts_as_attempt ? 1 : 0)},
                             {"counts_as_attempt", counts_as_attempt},
                             {"error", ErrorPayload(err)}},
              now_ms});
  });
}

Status PgStore::DeadLetter(std::string_view job_id, std::string_view worker_id,
                           const LastError& err, int64_t now_ms) {
  return pool_.Transaction([&](PgConn& c) -> Status {
    Result<Job> job = LockLeasedJob(c, job_id, worker_id);
    if (!job.ok()) return job.status();
    Status s = UpdateUnderLease(
        c, sql::kDeadLetter,
        PgParams().Add(job_id).Add(worker_id).Add(record::LastErrorToJson(err)).Add(now_ms));
    if (!s.ok()) return s;
    s = Run(c, callbacks::kQueueCallback,
            callbacks::QueueParams(job->id, callback_codec::kFailed, now_ms));
    if (!s.ok()) return s;
    return InsertEvent(
        c, Event{0, job->id, job->correlation_id, codes::kTypeError, codes::kDlqMoved, err.stage,
                 nlohmann::json{{"retry_count", job->retry_count}, {"error", ErrorPayload(err)}},
                 now_ms});
  });
}

Status PgStore::ReleaseClaim(std::string_view job_id, std::string_view worker_id, int64_t now_ms) {
  return pool_.Transaction([&](PgConn& c) -> Status {
    Status s =
        UpdateUnderLease(c, sql::kReleaseClaim, PgParams().Add(job_id).Add(worker_id).Add(now_ms));
    if (!s.ok()) return s;
    return Run(c, sql::kNotifyJobQueued, {});  // another process may take it at once
  });
}

Status PgStore::RecordRoute(std::string_view job_id, const RouteRecord& r, int64_t now_ms) {
  if (!record::IsRoutedService(r.service)) {
    return codes::InvalidRecord("route service must be parse or embed");
  }
  return Autocommit([&](PgConn& c) -> Status {
    Result<int64_t> changed = Execute(c, sql::kRecordRoute,
                                      PgParams()
                                          .Add(job_id)
                                          .Add(r.service)
                                          .Add(r.mode)
                                          .Add(r.implementation)
                                          .Add(r.reason)
                                          .Add(r.fallback ? 1 : 0)
                                          .Add(r.cost_nanos)
                                          .Add(now_ms));
    if (!changed.ok()) return changed.status();
    return *changed == 1 ? Status() : codes::JobNotFound();
  });
}

Result<WebhookOutcome> PgStore::RecordWebhookDelivery(const WebhookDelivery& d, const Event& wake,
                                                      int64_t min_wake_interval_ms) {
  return pool_.Transaction([&](PgConn& c) -> Result<WebhookOutcome> {
    Result<int64_t> exists = QueryInt(c, sql::kJobExists, PgParams().Add(d.job_id));
    if (!exists.ok()) return exists.status();
    if (*exists == 0) return codes::JobNotFound();
    Result<int64_t> inserted =
        Execute(c, sql::kInsertWebhookDelivery,
                PgParams().Add(d.job_id).Add(d.event_id).Add(d.event_type).Add(d.received_at_ms));
    if (!inserted.ok()) return inserted.status();
    WebhookOutcome out;
    out.duplicate = *inserted == 0;
    if (out.duplicate) return out;
    Result<int64_t> woke =
        Execute(c, sql::kWakeForWebhook,
                PgParams().Add(d.job_id).Add(d.received_at_ms).Add(min_wake_interval_ms));
    if (!woke.ok()) return woke.status();
    out.woke = *woke == 1;
    if (out.woke) {
      if (Status s = InsertEvent(c, wake); !s.ok()) return s;
    }
    return out;
  });
}

Result<bool> PgStore::WakeParkedJob(std::string_view job_id, JobStatus status, const Event& event,
                                    int64_t now_ms) {
  return pool_.Transaction([&](PgConn& c) -> Result<bool> {
    Result<int64_t> woke =
        Execute(c, sql::kWakeParkedJob, PgParams().Add(job_id).Add(ToString(status)).Add(now_ms));
    if (!woke.ok()) return woke.status();
    if (*woke == 0) return false;
    if (Status s = InsertEvent(c, event); !s.ok()) return s;
    return true;
  });
}

}  // namespace ingestd::pg
