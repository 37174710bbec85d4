// SqliteStore: the API-side writes (uploads, events, deletes, user-requested retries).
#include "core/blob_names.h"
#include "store/record_codec.h"
#include "store/sqlite/sqlite_callbacks.h"
#include "store/sqlite/sqlite_query.h"
#include "store/sqlite/sqlite_rows.h"
#include "store/sqlite/sqlite_sql.h"
#include "store/sqlite/sqlite_store.h"
#include "store/store_codes.h"

namespace ingestd::sqlite {

namespace codes = store_codes;

namespace {

// jobs_by_user narrows the count to the user's jobs.
constexpr char kCountActiveJobs[] =
    "SELECT COUNT(*) FROM jobs WHERE user_id = ?1 AND state NOT IN ('done', 'deadletter')";

Result<int64_t> CountActive(SqliteConn& c, std::string_view user_id) {
  return QueryInt(c, kCountActiveJobs, [&](Stmt& s) { s.Bind(1, user_id); });
}

}  // namespace

Result<int64_t> SqliteStore::CountActiveJobs(std::string_view user_id) {
  return Read([&](SqliteConn& c) { return CountActive(c, user_id); });
}

Result<CreateUploadResult> SqliteStore::CreateUpload(const Document& doc_in, const Job& job_in,
                                                     int64_t now_ms, int max_active_jobs) {
  Document doc;
  Job job;
  if (Status s = record::PrepareUpload(doc_in, job_in, now_ms, &doc, &job); !s.ok()) return s;

  // Looked up inside the write transaction, so concurrent identical uploads (from any
  // thread or process) serialize here and all but the first see the existing document.
  return Write([&](SqliteConn& c) -> Result<CreateUploadResult> {
    Result<std::optional<Document>> existing = QueryOne<Document>(
        c, sql::kSelectDocumentByHash, [&](Stmt& s) { s.Bind(1, doc.user_id).Bind(2, doc.sha256); },
        ReadDocument);
    if (!existing.ok()) return existing.status();
    if (existing->has_value()) {
      Result<std::optional<Job>> existing_job = QueryOne<Job>(
          c, sql::kSelectNewestJobForDocument, [&](Stmt& s) { s.Bind(1, (*existing)->id); },
          ReadJob);
      if (!existing_job.ok()) return existing_job.status();
      if (!existing_job->has_value()) {
        return Status::Internal("DB_ERROR", "document has no job");
      }
      const Job& ej = **existing_job;
      // The event carries this request's correlation id, so tracing the request finds it.
      Status s = InsertEvent(
          c, Event{0, ej.id, job.correlation_id.empty() ? ej.correlation_id : job.correlation_id,
                   codes::kTypeUpload, codes::kUploadDedupHit, "",
                   nlohmann::json{{"document_id", ej.document_id}}, now_ms});
      if (!s.ok()) return s;
      return CreateUploadResult{**existing, ej, /*duplicate=*/true};
    }
    // The write transaction serializes every writer of the file, so the count stays true
    // until this commit.
    if (max_active_jobs > 0) {
      Result<int64_t> active = CountActive(c, doc.user_id);
      if (!active.ok()) return active.status();
      if (*active >= max_active_jobs) return codes::ActiveJobsLimitExceeded(max_active_jobs);
    }
    Status s = Run(c, sql::kInsertDocument, [&](Stmt& st) { BindDocument(st, doc); });
    if (!s.ok()) return s;
    s = Run(c, sql::kInsertJob, [&](Stmt& st) { BindJob(st, job); });
    if (!s.ok()) return s;
    s = InsertJobCallback(c, job);
    if (!s.ok()) return s;
    s = InsertEvent(
        c,
        Event{0, job.id, job.correlation_id, codes::kTypeUpload, codes::kUploadAccepted, "",
              nlohmann::json{
                  {"document_id", doc.id}, {"size_bytes", doc.size_bytes}, {"sha256", doc.sha256}},
              now_ms});
    if (!s.ok()) return s;
    return CreateUploadResult{doc, job, /*duplicate=*/false};
  });
}

Status SqliteStore::CompleteUpload(std::string_view job_id, std::string_view blob_key,
                                   int64_t now_ms) {
  if (blob_key.empty()) return codes::InvalidRecord("blob_key is required");
  return Write([&](SqliteConn& c) -> Status {
    Result<Job> job =
        OrNotFound(QueryOne<Job>(
                       c, sql::kSelectJob, [&](Stmt& s) { s.Bind(1, job_id); }, ReadJob),
                   codes::JobNotFound);
    if (!job.ok()) return job.status();
    if (job->status != JobStatus::kAwaitingUpload) return codes::UploadAlreadyCompleted();
    Status s = Run(c, sql::kSetDocumentBlobKey,
                   [&](Stmt& st) { st.Bind(1, job->document_id).Bind(2, blob_key); });
    if (!s.ok()) return s;
    s = Run(c, sql::kMarkUploaded, [&](Stmt& st) {
      st.Bind(1, job_id).Bind(2, ToString(JobStatus::kUploaded)).Bind(3, now_ms);
    });
    if (!s.ok()) return s;
    return InsertEvent(
        c, Event{0, job->id, job->correlation_id, codes::kTypeUpload, codes::kUploadCompleted, "",
                 nlohmann::json{{"document_id", job->document_id}}, now_ms});
  });
}

Status SqliteStore::AppendEvent(const Event& e) {
  return Write([&](SqliteConn& c) { return InsertEvent(c, e); });
}

Result<std::vector<std::string>> SqliteStore::DeleteDocument(std::string_view user_id,
                                                             std::string_view doc_id) {
  return Write([&](SqliteConn& c) -> Result<std::vector<std::string>> {
    Result<Document> doc =
        OrNotFound(QueryOne<Document>(
                       c, sql::kSelectDocumentScoped,
                       [&](Stmt& s) { s.Bind(1, doc_id).Bind(2, user_id); }, ReadDocument),
                   codes::DocumentNotFound);
    if (!doc.ok()) return doc.status();
    // Children first; events before jobs because they are found through the jobs.
    for (const char* stmt :
         {sql::kDeleteDocumentEvents, sql::kDeleteDocumentWebhooks, sql::kDeleteDocumentVectors,
          sql::kDeleteDocumentChunks, sql::kDeleteDocumentJobs, sql::kDeleteDocument}) {
      Status s = Run(c, stmt, [&](Stmt& st) { st.Bind(1, doc_id); });
      if (!s.ok()) return s;
    }
    std::vector<std::string> keys;
    if (!doc->blob_key.empty()) keys.push_back(doc->blob_key);
    keys.push_back(MarkdownBlobKey(doc->id));
    return keys;
  });
}

Result<Job> SqliteStore::RequeueJob(std::string_view user_id, std::string_view job_id,
                                    int64_t now_ms) {
  return Write([&](SqliteConn& c) -> Result<Job> {
    Result<Job> job = OrNotFound(QueryOne<Job>(
                                     c, sql::kSelectJobScoped,
                                     [&](Stmt& s) { s.Bind(1, job_id).Bind(2, user_id); }, ReadJob),
                                 codes::JobNotFound);
    if (!job.ok()) return job.status();
    if (job->state != QueueState::kDeadletter && job->state != QueueState::kRetryable) {
      return codes::JobNotRetryable();
    }
    Result<Job> requeued = OrNotFound(
        QueryOne<Job>(
            c, sql::kRequeueJob, [&](Stmt& s) { s.Bind(1, job_id).Bind(2, now_ms); }, ReadJob),
        codes::JobNotFound);
    if (!requeued.ok()) return requeued.status();
    nlohmann::json payload = {{"from_state", ToString(job->state)},
                              {"retry_count", job->retry_count}};
    if (job->last_error) payload["last_error_code"] = job->last_error->code;
    Status s = InsertEvent(c, Event{0, job->id, job->correlation_id, codes::kTypeRetry,
                                    codes::kRetryRequested, "", std::move(payload), now_ms});
    if (!s.ok()) return s;
    return requeued;
  });
}

}  // namespace ingestd::sqlite
