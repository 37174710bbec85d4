// SqliteStore: the worker-side writes (claim, lease, stage commits, retries, dead letters).
// Every one except ClaimNext first re-reads the job under the lease inside the write
// transaction, so a worker whose lease was taken over changes nothing (LEASE_LOST).
#include "store/callback_codec.h"
#include "store/record_codec.h"
#include "store/sqlite/sqlite_callbacks.h"
#include "store/sqlite/sqlite_query.h"
#include "store/sqlite/sqlite_rows.h"
#include "store/sqlite/sqlite_sql.h"
#include "store/sqlite/sqlite_store.h"
#include "store/store_codes.h"

namespace ingestd::sqlite {
namespace {

namespace codes = store_codes;

Result<Job> LoadLeasedJob(SqliteConn& c, std::string_view job_id, std::string_view worker_id) {
  return OrNotFound(QueryOne<Job>(
                        c, sql::kSelectLeasedJob,
                        [&](Stmt& s) { s.Bind(1, job_id).Bind(2, worker_id); }, ReadJob),
                    codes::LeaseLost);
}

// Runs a lease-guarded UPDATE; LEASE_LOST when it matched no row.
template <typename Binder>
Status UpdateUnderLease(SqliteConn& c, const char* sql, Binder&& bind) {
  Result<int64_t> changed = Execute(c, sql, std::forward<Binder>(bind));
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

Status ReplaceChunks(SqliteConn& c, const std::string& doc_id, const std::vector<Chunk>& chunks) {
  for (const char* stmt : {sql::kDeleteDocumentVectors, sql::kDeleteDocumentChunks}) {
    Status s = Run(c, stmt, [&](Stmt& st) { st.Bind(1, doc_id); });
    if (!s.ok()) return s;
  }
  for (const Chunk& chunk : chunks) {
    if (!BelongsTo(chunk.document_id, doc_id) || chunk.id.empty()) {
      return codes::InvalidRecord("chunk id missing or chunk of another document");
    }
    Status s = Run(c, sql::kInsertChunk, [&](Stmt& st) {
      BindChunk(st, chunk);
      st.Bind(2, doc_id);
    });
    if (!s.ok()) return s;
  }
  return Status();
}

Status UpsertVectors(SqliteConn& c, const std::string& doc_id,
                     const std::vector<VectorRecord>& vectors, int64_t now_ms) {
  for (const VectorRecord& v : vectors) {
    if (!BelongsTo(v.document_id, doc_id) || v.model.empty()) {
      return codes::InvalidRecord("vector model missing or vector of another document");
    }
    Status s =
        Run(c, sql::kUpsertVector, [&](Stmt& st) { BindVector(st, v, v.model, doc_id, now_ms); });
    if (!s.ok()) return s;
  }
  return Status();
}

}  // namespace

Result<std::optional<Job>> SqliteStore::ClaimNext(std::string_view worker_id, int64_t now_ms,
                                                  int64_t lease_ms) {
  if (worker_id.empty()) return codes::InvalidRecord("worker_id is required");
  return Write([&](SqliteConn& c) -> Result<std::optional<Job>> {
    struct Pick {
      std::string id, lost_worker;
    };
    Result<std::optional<Pick>> pick = QueryOne<Pick>(
        c, sql::kPickNext, [&](Stmt& s) { s.Bind(1, now_ms); },
        [](const Stmt& s) -> Result<Pick> {
          return Pick{s.Text(0), s.Text(1)};
        });
    if (!pick.ok()) return pick.status();
    if (!pick->has_value()) return std::optional<Job>();
    Result<std::optional<Job>> job = QueryOne<Job>(
        c, sql::kClaimJob,
        [&](Stmt& s) {
          s.Bind(1, (*pick)->id).Bind(2, worker_id).Bind(3, now_ms).Bind(4, lease_ms);
        },
        ReadJob);
    if (job.ok() && job->has_value()) (*job)->reclaimed_from = (*pick)->lost_worker;
    return job;
  });
}

Status SqliteStore::ExtendLease(std::string_view job_id, std::string_view worker_id,
                                int64_t until_ms) {
  return Write([&](SqliteConn& c) {
    return UpdateUnderLease(c, sql::kExtendLease, [&](Stmt& s) {
      s.Bind(1, job_id).Bind(2, worker_id).Bind(3, until_ms);
    });
  });
}

Status SqliteStore::CommitStage(const StageCommit& commit) {
  return Write([&](SqliteConn& c) -> Status {
    Result<Job> job = LoadLeasedJob(c, commit.job_id, commit.worker_id);
    if (!job.ok()) return job.status();
    const std::string& doc_id = job->document_id;
    Status s;
    if (commit.chunks) {
      s = ReplaceChunks(c, doc_id, *commit.chunks);
      if (!s.ok()) return s;
    }
    s = UpsertVectors(c, doc_id, commit.vectors, commit.now_ms);
    if (!s.ok()) return s;
    if (commit.page_count) {
      s = Run(c, sql::kSetPageCount,
              [&](Stmt& st) { st.Bind(1, doc_id).Bind(2, *commit.page_count); });
      if (!s.ok()) return s;
    }
    for (Event e : commit.events) {
      if (e.job_id.empty()) e.job_id = job->id;
      if (e.correlation_id.empty()) e.correlation_id = job->correlation_id;
      s = InsertEvent(c, e);
      if (!s.ok()) return s;
    }
    if (commit.next_state == QueueState::kDone) {
      s = QueueCallback(c, job->id, callback_codec::kCompleted, commit.now_ms);
      if (!s.ok()) return s;
    }
    nlohmann::json timings = job->timings;
    if (commit.timings_patch.is_object()) timings.merge_patch(commit.timings_patch);
    return UpdateUnderLease(c, sql::kFinishStage, [&](Stmt& st) {
      st.Bind(1, commit.job_id).Bind(2, commit.worker_id).Bind(3, ToString(commit.to));
      st.Bind(4, ToString(commit.next_state)).Bind(5, commit.stage_pct);
      st.Bind(6, DumpJson(timings)).Bind(7, commit.now_ms).Bind(8, commit.retry_at_ms);
    });
  });
}

Status SqliteStore::ScheduleRetry(std::string_view job_id, std::string_view worker_id,
                                  int64_t retry_at_ms, const LastError& err, int64_t now_ms,
                                  bool counts_as_attempt) {
  return Write([&](SqliteConn& c) -> Status {
    Result<Job> job = LoadLeasedJob(c, job_id, worker_id);
    if (!job.ok()) return job.status();
    Status s = UpdateUnderLease(c, sql::kScheduleRetry, [&](Stmt& st) {
      st.Bind(1, job_id).Bind(2, worker_id).Bind(3, retry_at_ms);
      st.Bind(4, LastErrorToJson(err)).Bind(5, now_ms).Bind(6, counts_as_attempt ? 1 : 0);
    });
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

Status SqliteStore::DeadLetter(std::string_view job_id, std::string_view worker_id,
                               const LastError& err, int64_t now_ms) {
  return Write([&](SqliteConn& c) -> Status {
    Result<Job> job = LoadLeasedJob(c, job_id, worker_id);
    if (!job.ok()) return job.status();
    Status s = UpdateUnderLease(c, sql::kDeadLetter, [&](Stmt& st) {
      st.Bind(1, job_id).Bind(2, worker_id).Bind(3, LastErrorToJson(err)).Bind(4, now_ms);
    });
    if (!s.ok()) return s;
    s = QueueCallback(c, job->id, callback_codec::kFailed, now_ms);
    if (!s.ok()) return s;
    return InsertEvent(
        c, Event{0, job->id, job->correlation_id, codes::kTypeError, codes::kDlqMoved, err.stage,
                 nlohmann::json{{"retry_count", job->retry_count}, {"error", ErrorPayload(err)}},
                 now_ms});
  });
}

Status SqliteStore::ReleaseClaim(std::string_view job_id, std::string_view worker_id,
                                 int64_t now_ms) {
  return Write([&](SqliteConn& c) {
    return UpdateUnderLease(c, sql::kReleaseClaim,
                            [&](Stmt& s) { s.Bind(1, job_id).Bind(2, worker_id).Bind(3, now_ms); });
  });
}

Status SqliteStore::RecordRoute(std::string_view job_id, const RouteRecord& r, int64_t now_ms) {
  if (!record::IsRoutedService(r.service)) {
    return codes::InvalidRecord("route service must be parse or embed");
  }
  return Write([&](SqliteConn& c) -> Status {
    Result<int64_t> changed = Execute(c, sql::kRecordRoute, [&](Stmt& s) {
      s.Bind(1, job_id).Bind(2, r.service).Bind(3, r.mode).Bind(4, r.implementation);
      s.Bind(5, r.reason).Bind(6, r.fallback ? 1 : 0).Bind(7, r.cost_nanos).Bind(8, now_ms);
    });
    if (!changed.ok()) return changed.status();
    return *changed == 1 ? Status() : codes::JobNotFound();
  });
}

Result<WebhookOutcome> SqliteStore::RecordWebhookDelivery(const WebhookDelivery& d,
                                                          const Event& wake,
                                                          int64_t min_wake_interval_ms) {
  return Write([&](SqliteConn& c) -> Result<WebhookOutcome> {
    Result<int64_t> exists = QueryInt(c, sql::kJobExists, [&](Stmt& s) { s.Bind(1, d.job_id); });
    if (!exists.ok()) return exists.status();
    if (*exists == 0) return codes::JobNotFound();
    Result<int64_t> inserted = Execute(c, sql::kInsertWebhookDelivery, [&](Stmt& s) {
      s.Bind(1, d.job_id).Bind(2, d.event_id).Bind(3, d.event_type).Bind(4, d.received_at_ms);
    });
    if (!inserted.ok()) return inserted.status();
    WebhookOutcome out;
    out.duplicate = *inserted == 0;
    if (out.duplicate) return out;
    Result<int64_t> woke = Execute(c, sql::kWakeForWebhook, [&](Stmt& s) {
      s.Bind(1, d.job_id).Bind(2, d.received_at_ms).Bind(3, min_wake_interval_ms);
    });
    if (!woke.ok()) return woke.status();
    out.woke = *woke == 1;
    if (out.woke) {
      if (Status s = InsertEvent(c, wake); !s.ok()) return s;
    }
    return out;
  });
}

Result<bool> SqliteStore::WakeParkedJob(std::string_view job_id, JobStatus status,
                                        const Event& event, int64_t now_ms) {
  return Write([&](SqliteConn& c) -> Result<bool> {
    Result<int64_t> woke = Execute(c, sql::kWakeParkedJob, [&](Stmt& s) {
      s.Bind(1, job_id).Bind(2, ToString(status)).Bind(3, now_ms);
    });
    if (!woke.ok()) return woke.status();
    if (*woke == 0) return false;
    if (Status s = InsertEvent(c, event); !s.ok()) return s;
    return true;
  });
}

}  // namespace ingestd::sqlite
