#include "store/faulty_store.h"

namespace ingestd {

void FaultyStore::FailNthCall(int64_t n, When when, Status status) {
  std::lock_guard<std::mutex> lock(mu_);
  faults_.push_back(Fault{"", calls_ + n, 1, when, std::move(status)});
}

void FaultyStore::FailNext(std::string method, int times, When when, Status status) {
  std::lock_guard<std::mutex> lock(mu_);
  faults_.push_back(Fault{std::move(method), 0, times, when, std::move(status)});
}

void FaultyStore::Reset() {
  std::lock_guard<std::mutex> lock(mu_);
  faults_.clear();
  calls_ = 0;
  injected_ = 0;
}

int64_t FaultyStore::calls() const {
  std::lock_guard<std::mutex> lock(mu_);
  return calls_;
}

int64_t FaultyStore::faults_injected() const {
  std::lock_guard<std::mutex> lock(mu_);
  return injected_;
}

std::optional<FaultyStore::Taken> FaultyStore::Take(std::string_view method) {
  std::lock_guard<std::mutex> lock(mu_);
  ++calls_;
  for (auto it = faults_.begin(); it != faults_.end(); ++it) {
    bool match = it->method.empty() ? it->at_call == calls_ : it->method == method;
    if (!match) continue;
    Taken taken{it->when, it->status};
    if (--it->remaining <= 0) faults_.erase(it);
    ++injected_;
    return taken;
  }
  return std::nullopt;
}

Status FaultyStore::Migrate() {
  return Call("Migrate", [&] { return inner_->Migrate(); });
}
Status FaultyStore::Ping() {
  return Call("Ping", [&] { return inner_->Ping(); });
}
Result<CreateUploadResult> FaultyStore::CreateUpload(const Document& doc, const Job& job,
                                                     int64_t now_ms, int max_active_jobs) {
  return Call("CreateUpload",
              [&] { return inner_->CreateUpload(doc, job, now_ms, max_active_jobs); });
}
Status FaultyStore::CompleteUpload(std::string_view job_id, std::string_view blob_key,
                                   int64_t now_ms) {
  return Call("CompleteUpload", [&] { return inner_->CompleteUpload(job_id, blob_key, now_ms); });
}
Result<Job> FaultyStore::GetJob(std::string_view user_id, std::string_view job_id) {
  return Call("GetJob", [&] { return inner_->GetJob(user_id, job_id); });
}
Result<Job> FaultyStore::GetJobUnscoped(std::string_view job_id) {
  return Call("GetJobUnscoped", [&] { return inner_->GetJobUnscoped(job_id); });
}
Result<std::vector<Job>> FaultyStore::ListJobs(std::string_view user_id, const JobFilter& f) {
  return Call("ListJobs", [&] { return inner_->ListJobs(user_id, f); });
}
Result<int64_t> FaultyStore::CountActiveJobs(std::string_view user_id) {
  return Call("CountActiveJobs", [&] { return inner_->CountActiveJobs(user_id); });
}
Result<std::vector<JobCount>> FaultyStore::CountJobsByState() {
  return Call("CountJobsByState", [&] { return inner_->CountJobsByState(); });
}
Result<Document> FaultyStore::GetDocument(std::string_view user_id, std::string_view doc_id) {
  return Call("GetDocument", [&] { return inner_->GetDocument(user_id, doc_id); });
}
Result<Document> FaultyStore::GetDocumentUnscoped(std::string_view doc_id) {
  return Call("GetDocumentUnscoped", [&] { return inner_->GetDocumentUnscoped(doc_id); });
}
Result<std::vector<Chunk>> FaultyStore::ListChunks(std::string_view user_id,
                                                   std::string_view doc_id, int limit, int offset) {
  return Call("ListChunks", [&] { return inner_->ListChunks(user_id, doc_id, limit, offset); });
}
Result<std::vector<Chunk>> FaultyStore::GetChunks(std::string_view doc_id) {
  return Call("GetChunks", [&] { return inner_->GetChunks(doc_id); });
}
Result<int64_t> FaultyStore::CountChunks(std::string_view doc_id) {
  return Call("CountChunks", [&] { return inner_->CountChunks(doc_id); });
}
Result<int64_t> FaultyStore::CountVectors(std::string_view doc_id) {
  return Call("CountVectors", [&] { return inner_->CountVectors(doc_id); });
}
Result<std::vector<VectorRecord>> FaultyStore::GetVectors(std::string_view doc_id) {
  return Call("GetVectors", [&] { return inner_->GetVectors(doc_id); });
}

Result<std::vector<DocumentSummary>> FaultyStore::ListDocuments(std::string_view user_id,
                                                                const DocumentFilter& f) {
  return Call("ListDocuments", [&] { return inner_->ListDocuments(user_id, f); });
}

Result<std::vector<VectorRecord>> FaultyStore::GetChunkVectors(
    std::string_view user_id, const std::vector<std::string>& chunk_ids) {
  return Call("GetChunkVectors", [&] { return inner_->GetChunkVectors(user_id, chunk_ids); });
}

Result<std::vector<KeywordHit>> FaultyStore::KeywordSearch(std::string_view user_id,
                                                           std::string_view query,
                                                           const SearchFilter& f, int limit) {
  return Call("KeywordSearch", [&] { return inner_->KeywordSearch(user_id, query, f, limit); });
}

Result<std::vector<ChunkView>> FaultyStore::GetChunkViews(
    std::string_view user_id, const std::vector<std::string>& chunk_ids) {
  return Call("GetChunkViews", [&] { return inner_->GetChunkViews(user_id, chunk_ids); });
}

Result<std::vector<std::string>> FaultyStore::ListDocumentIds(std::string_view user_id,
                                                              const SearchFilter& f) {
  return Call("ListDocumentIds", [&] { return inner_->ListDocumentIds(user_id, f); });
}

Result<std::vector<VectorChange>> FaultyStore::ListVectorChanges(int64_t after_seq, int limit) {
  return Call("ListVectorChanges", [&] { return inner_->ListVectorChanges(after_seq, limit); });
}

Result<std::vector<ChunkChange>> FaultyStore::ListChunkChanges(std::string_view user_id,
                                                               int64_t after_seq, int limit) {
  return Call("ListChunkChanges",
              [&] { return inner_->ListChunkChanges(user_id, after_seq, limit); });
}

Result<std::vector<ChunkChange>> FaultyStore::ListAllChunkChanges(int64_t after_seq, int limit) {
  return Call("ListAllChunkChanges", [&] { return inner_->ListAllChunkChanges(after_seq, limit); });
}

Result<std::vector<std::string>> FaultyStore::ListDocumentsWithOtherVectors(std::string_view model,
                                                                            int limit) {
  return Call("ListDocumentsWithOtherVectors",
              [&] { return inner_->ListDocumentsWithOtherVectors(model, limit); });
}

Status FaultyStore::ReplaceDocumentVectors(std::string_view doc_id,
                                           const std::vector<VectorRecord>& vectors) {
  return Call("ReplaceDocumentVectors",
              [&] { return inner_->ReplaceDocumentVectors(doc_id, vectors); });
}
Result<std::vector<VectorRecord>> FaultyStore::FindCachedVectors(
    std::string_view model, int dims, const std::vector<std::string>& text_sha256s,
    std::string_view user_id) {
  return Call("FindCachedVectors",
              [&] { return inner_->FindCachedVectors(model, dims, text_sha256s, user_id); });
}
Result<int64_t> FaultyStore::EvictEmbedCache(int64_t max_entries) {
  return Call("EvictEmbedCache", [&] { return inner_->EvictEmbedCache(max_entries); });
}
Result<EmbedUsage> FaultyStore::GetEmbedUsage(std::string_view doc_id) {
  return Call("GetEmbedUsage", [&] { return inner_->GetEmbedUsage(doc_id); });
}
Result<EmbedUsage> FaultyStore::SumEmbedSavings(std::string_view user_id, int64_t from_ms,
                                                int64_t to_ms) {
  return Call("SumEmbedSavings", [&] { return inner_->SumEmbedSavings(user_id, from_ms, to_ms); });
}
Result<std::optional<Job>> FaultyStore::FindJobForDocument(std::string_view doc_id) {
  return Call("FindJobForDocument", [&] { return inner_->FindJobForDocument(doc_id); });
}
Result<std::vector<Event>> FaultyStore::ListEvents(std::string_view user_id,
                                                   std::string_view job_id) {
  return Call("ListEvents", [&] { return inner_->ListEvents(user_id, job_id); });
}
Status FaultyStore::AppendEvent(const Event& e) {
  return Call("AppendEvent", [&] { return inner_->AppendEvent(e); });
}
Result<std::vector<std::string>> FaultyStore::DeleteDocument(std::string_view user_id,
                                                             std::string_view doc_id) {
  return Call("DeleteDocument", [&] { return inner_->DeleteDocument(user_id, doc_id); });
}
Result<std::optional<Job>> FaultyStore::ClaimNext(std::string_view worker_id, int64_t now_ms,
                                                  int64_t lease_ms) {
  return Call("ClaimNext", [&] { return inner_->ClaimNext(worker_id, now_ms, lease_ms); });
}
Status FaultyStore::ExtendLease(std::string_view job_id, std::string_view worker_id,
                                int64_t until_ms) {
  return Call("ExtendLease", [&] { return inner_->ExtendLease(job_id, worker_id, until_ms); });
}
Status FaultyStore::CommitStage(const StageCommit& c) {
  return Call("CommitStage", [&] { return inner_->CommitStage(c); });
}
Status FaultyStore::ScheduleRetry(std::string_view job_id, std::string_view worker_id,
                                  int64_t retry_at_ms, const LastError& err, int64_t now_ms,
                                  bool counts_as_attempt) {
  return Call("ScheduleRetry", [&] {
    return inner_->ScheduleRetry(job_id, worker_id, retry_at_ms, err, now_ms, counts_as_attempt);
  });
}
Status FaultyStore::DeadLetter(std::string_view job_id, std::string_view worker_id,
                               const LastError& err, int64_t now_ms) {
  return Call("DeadLetter", [&] { return inner_->DeadLetter(job_id, worker_id, err, now_ms); });
}
Status FaultyStore::ReleaseClaim(std::string_view job_id, std::string_view worker_id,
                                 int64_t now_ms) {
  return Call("ReleaseClaim", [&] { return inner_->ReleaseClaim(job_id, worker_id, now_ms); });
}
Result<Job> FaultyStore::RequeueJob(std::string_view user_id, std::string_view job_id,
                                    int64_t now_ms) {
  return Call("RequeueJob", [&] { return inner_->RequeueJob(user_id, job_id, now_ms); });
}

Status FaultyStore::RecordRoute(std::string_view job_id, const RouteRecord& r, int64_t now_ms) {
  return Call("RecordRoute", [&] { return inner_->RecordRoute(job_id, r, now_ms); });
}

Result<WebhookOutcome> FaultyStore::RecordWebhookDelivery(const WebhookDelivery& d,
                                                          const Event& wake,
                                                          int64_t min_wake_interval_ms) {
  return Call("RecordWebhookDelivery",
              [&] { return inner_->RecordWebhookDelivery(d, wake, min_wake_interval_ms); });
}

Result<bool> FaultyStore::WakeParkedJob(std::string_view job_id, JobStatus status,
                                        const Event& event, int64_t now_ms) {
  return Call("WakeParkedJob",
              [&] { return inner_->WakeParkedJob(job_id, status, event, now_ms); });
}

Result<std::vector<CallbackMessage>> FaultyStore::ClaimCallbacks(std::string_view deliverer_id,
                                                                 int64_t now_ms, int64_t lease_ms,
                                                                 int limit) {
  return Call("ClaimCallbacks",
              [&] { return inner_->ClaimCallbacks(deliverer_id, now_ms, lease_ms, limit); });
}

Status FaultyStore::RescheduleCallback(int64_t id, std::string_view deliverer_id,
                                       int64_t next_attempt_at_ms, std::string_view body) {
  return Call("RescheduleCallback", [&] {
    return inner_->RescheduleCallback(id, deliverer_id, next_attempt_at_ms, body);
  });
}

Status FaultyStore::FinishCallback(int64_t id, std::string_view deliverer_id, const Event& event) {
  return Call("FinishCallback", [&] { return inner_->FinishCallback(id, deliverer_id, event); });
}

Status FaultyStore::CreateSigninCode(const SigninCode& c) {
  return Call("CreateSigninCode", [&] { return inner_->CreateSigninCode(c); });
}

Result<std::optional<SigninCode>> FaultyStore::RedeemSigninCode(std::string_view code_hash,
                                                                int64_t now_ms) {
  return Call("RedeemSigninCode", [&] { return inner_->RedeemSigninCode(code_hash, now_ms); });
}

}  // namespace ingestd
