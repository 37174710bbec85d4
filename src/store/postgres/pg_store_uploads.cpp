// PgStore: the API-side writes (uploads, events, deletes, user-requested retries).
#include "core/blob_names.h"
#include "store/postgres/pg_callbacks.h"
#include "store/postgres/pg_rows.h"
#include "store/postgres/pg_sql.h"
#include "store/postgres/pg_store.h"
#include "store/record_codec.h"
#include "store/store_codes.h"

namespace ingestd::pg {
namespace {

namespace codes = store_codes;
using record::OrNotFound;

// jobs_by_user narrows the count to the user's jobs.
constexpr char kCountActiveJobs[] =
    "SELECT COUNT(*) FROM jobs WHERE user_id = $1 AND state NOT IN ('done', 'deadletter')";
// Uploads of one user that check the active-job cap queue here until the previous one
// committed; each count then (READ COMMITTED: a snapshot per statement) sees its job.
constexpr char kLockUserUploads[] =
    "SELECT pg_advisory_xact_lock(hashtextextended('ingestd.active_jobs:' || $1, 0))";

bool IsRunnable(const Job& j) {
  return j.state == QueueState::kQueued && j.status != JobStatus::kAwaitingUpload;
}

// The existing rows for a duplicate upload, plus its UPLOAD_DEDUP_HIT event.
Result<CreateUploadResult> RecordDuplicate(PgConn& c, const Document& doc, const Job& job,
                                           int64_t now_ms) {
  Result<Document> existing =
      OrNotFound(QueryOne<Document>(c, sql::kSelectDocumentByHash,
                                    PgParams().Add(doc.user_id).Add(doc.sha256), ReadDocument),
                 codes::DocumentNotFound);
  if (!existing.ok()) return existing.status();
  Result<std::optional<Job>> existing_job =
      QueryOne<Job>(c, sql::kSelectNewestJobForDocument, PgParams().Add(existing->id), ReadJob);
  if (!existing_job.ok()) return existing_job.status();
  if (!existing_job->has_value()) return Status::Internal("DB_ERROR", "document has no job");
  const Job& ej = **existing_job;
  // The event carries this request's correlation id, so tracing the request finds it.
  Status s = InsertEvent(
      c, Event{0, ej.id, job.correlation_id.empty() ? ej.correlation_id : job.correlation_id,
               codes::kTypeUpload, codes::kUploadDedupHit, "",
               nlohmann::json{{"document_id", ej.document_id}}, now_ms});
  if (!s.ok()) return s;
  return CreateUploadResult{*existing, ej, /*duplicate=*/true};
}

}  // namespace

Result<int64_t> PgStore::CountActiveJobs(std::string_view user_id) {
  return Autocommit(
      [&](PgConn& c) { return QueryInt(c, kCountActiveJobs, PgParams().Add(user_id)); });
}

Result<CreateUploadResult> PgStore::CreateUpload(const Document& doc_in, const Job& job_in,
                                                 int64_t now_ms, int max_active_jobs) {
  Document doc;
  Job job;
  if (Status s = record::PrepareUpload(doc_in, job_in, now_ms, &doc, &job); !s.ok()) return s;

  return pool_.Transaction([&](PgConn& c) -> Result<CreateUploadResult> {
    // ON CONFLICT DO NOTHING waits for a concurrent insert of the same (user, sha256) to
    // commit and then inserts nothing: exactly one upload creates the document.
    Result<int64_t> inserted = Execute(c, sql::kInsertDocument, DocumentParams(doc));
    if (!inserted.ok()) return inserted.status();
    if (*inserted == 0) return RecordDuplicate(c, doc, job, now_ms);
    // Taken after the document insert, whose conflicts are the only other wait here, so no
    // two uploads wait on each other in opposite order. A refusal rolls the insert back.
    if (max_active_jobs > 0) {
      Status s = Run(c, kLockUserUploads, PgParams().Add(doc.user_id));
      if (!s.ok()) return s;
      Result<int64_t> active = QueryInt(c, kCountActiveJobs, PgParams().Add(doc.user_id));
      if (!active.ok()) return active.status();
      if (*active >= max_active_jobs) return codes::ActiveJobsLimitExceeded(max_active_jobs);
    }
    Status s = Run(c, sql::kInsertJob, JobParams(job));
    if (!s.ok()) return s;
    if (!job.callback_url.empty()) {
      s = Run(c, callbacks::kInsertJobCallback, PgParams().Add(job.id).Add(job.callback_url));
      if (!s.ok()) return s;
    }
    s = InsertEvent(
        c,
        Event{0, job.id, job.correlation_id, codes::kTypeUpload, codes::kUploadAccepted, "",
              nlohmann::json{
                  {"document_id", doc.id}, {"size_bytes", doc.size_bytes}, {"sha256", doc.sha256}},
              now_ms});
    if (!s.ok()) return s;
    if (IsRunnable(job)) {
      s = Run(c, sql::kNotifyJobQueued, {});
      if (!s.ok()) return s;
    }
    return CreateUploadResult{doc, job, /*duplicate=*/false};
  });
}

Status PgStore::CompleteUpload(std::string_view job_id, std::string_view blob_key, int64_t now_ms) {
  if (blob_key.empty()) return codes::InvalidRecord("blob_key is required");
  return pool_.Transaction([&](PgConn& c) -> Status {
    Result<Job> job = OrNotFound(QueryOne<Job>(c, sql::kLockJob, PgParams().Add(job_id), ReadJob),
                                 codes::JobNotFound);
    if (!job.ok()) return job.status();
    if (job->status != JobStatus::kAwaitingUpload) return codes::UploadAlreadyCompleted();
    Status s = Run(c, sql::kSetDocumentBlobKey, PgParams().Add(job->document_id).Add(blob_key));
    if (!s.ok()) return s;
    s = Run(c, sql::kMarkUploaded,
            PgParams().Add(job_id).Add(ToString(JobStatus::kUploaded)).Add(now_ms));
    if (!s.ok()) return s;
    s = InsertEvent(
        c, Event{0, job->id, job->correlation_id, codes::kTypeUpload, codes::kUploadCompleted, "",
                 nlohmann::json{{"document_id", job->document_id}}, now_ms});
    if (!s.ok()) return s;
    return Run(c, sql::kNotifyJobQueued, {});
  });
}

Status PgStore::AppendEvent(const Event& e) {
  return Autocommit([&](PgConn& c) { return InsertEvent(c, e); });
}

Result<std::vector<std::string>> PgStore::DeleteDocument(std::string_view user_id,
                                                         std::string_view doc_id) {
  return pool_.Transaction([&](PgConn& c) -> Result<std::vector<std::string>> {
    Result<Document> doc =
        OrNotFound(QueryOne<Document>(c, sql::kSelectDocumentScoped,
                                      PgParams().Add(doc_id).Add(user_id), ReadDocument),
                   codes::DocumentNotFound);
    if (!doc.ok()) return doc.status();
    // The lock order of every writer: the jobs first, then the document.
    for (const char* lock : {sql::kLockDocumentJobs, sql::kLockDocument}) {
      Status s = Run(c, lock, PgParams().Add(doc_id));
      if (!s.ok()) return s;
    }
    // Children first; events before jobs because they are found through the jobs.
    for (const char* stmt :
         {sql::kDeleteDocumentEvents, sql::kDeleteDocumentWebhooks, sql::kDeleteDocumentVectors,
          sql::kDeleteDocumentChunks, sql::kDeleteDocumentJobs, sql::kDeleteDocument}) {
      Status s = Run(c, stmt, PgParams().Add(doc_id));
      if (!s.ok()) return s;
    }
    std::vector<std::string> keys;
    if (!doc->blob_key.empty()) keys.push_back(doc->blob_key);
    keys.push_back(MarkdownBlobKey(doc->id));
    return keys;
  });
}

Result<Job> PgStore::RequeueJob(std::string_view user_id, std::string_view job_id, int64_t now_ms) {
  return pool_.Transaction([&](PgConn& c) -> Result<Job> {
    Result<Job> job = OrNotFound(
        QueryOne<Job>(c, sql::kLockJobScoped, PgParams().Add(job_id).Add(user_id), ReadJob),
        codes::JobNotFound);
    if (!job.ok()) return job.status();
    if (job->state != QueueState::kDeadletter && job->state != QueueState::kRetryable) {
      return codes::JobNotRetryable();
    }
    Result<Job> requeued =
        OrNotFound(QueryOne<Job>(c, sql::kRequeueJob, PgParams().Add(job_id).Add(now_ms), ReadJob),
                   codes::JobNotFound);
    if (!requeued.ok()) return requeued.status();
    nlohmann::json payload = {{"from_state", ToString(job->state)},
                              {"retry_count", job->retry_count}};
    if (job->last_error) payload["last_error_code"] = job->last_error->code;
    Status s = InsertEvent(c, Event{0, job->id, job->correlation_id, codes::kTypeRetry,
                                    codes::kRetryRequested, "", std::move(payload), now_ms});
    if (!s.ok()) return s;
    s = Run(c, sql::kNotifyJobQueued, {});
    if (!s.ok()) return s;
    return requeued;
  });
}

}  // namespace ingestd::pg
