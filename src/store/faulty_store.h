// FaultyStore: a Store that forwards to another Store and fails chosen calls, for tests of
// the code above the store. A fault sweep fails call 1, then call 2, … of a scenario and
// checks that no job is lost or duplicated; kAfter faults model the nastiest case, a
// change that committed but whose reply was lost.
//
// Thread-safe (faults are taken under a mutex); does not own the inner store.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "store/store.h"

namespace ingestd {

class FaultyStore final : public Store {
 public:
  enum class When {
    kBefore,  // fail without calling the inner store: nothing changes
    kAfter,   // call the inner store, then report the failure anyway
  };
  // The status injected faults return unless told otherwise: transient, retryable.
  static Status DefaultFault() {
    return Status::Unavailable("INJECTED_FAULT", "injected store fault");
  }

  explicit FaultyStore(Store* inner) : inner_(inner) {}

  // The n-th call from now (1-based, any method) fails.
  void FailNthCall(int64_t n, When when = When::kBefore, Status status = DefaultFault());
  // The next `times` calls of `method` (its name, e.g. "CommitStage") fail.
  void FailNext(std::string method, int times = 1, When when = When::kBefore,
                Status status = DefaultFault());
  // Forgets every pending fault and restarts the call count.
  void Reset();
  // Calls made since construction or Reset().
  int64_t calls() const;
  // Faults injected so far.
  int64_t faults_injected() const;

  Status Migrate() override;
  Status Ping() override;
  Result<CreateUploadResult> CreateUpload(const Document& doc, const Job& job, int64_t now_ms,
                                          int max_active_jobs = 0) override;
  Status CompleteUpload(std::string_view job_id, std::string_view blob_key,
                        int64_t now_ms) override;
  Result<Job> GetJob(std::string_view user_id, std::string_view job_id) override;
  Result<Job> GetJobUnscoped(std::string_view job_id) override;
  Result<std::vector<Job>> ListJobs(std::string_view user_id, const JobFilter& f) override;
  Result<int64_t> CountActiveJobs(std::string_view user_id) override;
  Result<std::vector<JobCount>> CountJobsByState() override;
  Result<Document> GetDocument(std::string_view user_id, std::string_view doc_id) override;
  Result<Document> GetDocumentUnscoped(std::string_view doc_id) override;
  Result<std::vector<Chunk>> ListChunks(std::string_view user_id, std::string_view doc_id,
                                        int limit, int offset) override;
  Result<std::vector<Chunk>> GetChunks(std::string_view doc_id) override;
  Result<int64_t> CountChunks(std::string_view doc_id) override;
  Result<int64_t> CountVectors(std::string_view doc_id) override;
  Result<std::vector<VectorRecord>> GetVectors(std::string_view doc_id) override;
  Result<std::vector<DocumentSummary>> ListDocuments(std::string_view user_id,
                                                     const DocumentFilter& f) override;
  Result<std::vector<VectorRecord>> GetChunkVectors(
      std::string_view user_id, const std::vector<std::string>& chunk_ids) override;
  Result<std::vector<KeywordHit>> KeywordSearch(std::string_view user_id, std::string_view query,
                                                const SearchFilter& f, int limit) override;
  Result<std::vector<ChunkView>> GetChunkViews(std::string_view user_id,
                                               const std::vector<std::string>& chunk_ids) override;
  Result<std::vector<std::string>> ListDocumentIds(std::string_view user_id,
                                                   const SearchFilter& f) override;
  Result<std::vector<VectorChange>> ListVectorChanges(int64_t after_seq, int limit) override;
  Result<std::vector<ChunkChange>> ListChunkChanges(std::string_view user_id, int64_t after_seq,
                                                    int limit) override;
  Result<std::vector<ChunkChange>> ListAllChunkChanges(int64_t after_seq, int limit) override;
  Result<std::vector<std::string>> ListDocumentsWithOtherVectors(std::string_view model,
                                                                 int limit) override;
  Status ReplaceDocumentVectors(std::string_view doc_id,
                                const std::vector<VectorRecord>& vectors) override;
  Result<std::vector<VectorRecord>> FindCachedVectors(std::string_view model, int dims,
                                                      const std::vector<std::string>& text_sha256s,
                                                      std::string_view user_id) override;
  Result<int64_t> EvictEmbedCache(int64_t max_entries) override;
  Result<EmbedUsage> GetEmbedUsage(std::string_view doc_id) override;
  Result<EmbedUsage> SumEmbedSavings(std::string_view user_id, int64_t from_ms,
                                     int64_t to_ms) override;
  Result<std::optional<Job>> FindJobForDocument(std::string_view doc_id) override;
  Result<std::vector<Event>> ListEvents(std::string_view user_id, std::string_view job_id) override;
  Status AppendEvent(const Event& e) override;
  Result<std::vector<std::string>> DeleteDocument(std::string_view user_id,
                                                  std::string_view doc_id) override;
  Result<std::optional<Job>> ClaimNext(std::string_view worker_id, int64_t now_ms,
                                       int64_t lease_ms) override;
  Status ExtendLease(std::string_view job_id, std::string_view worker_id,
                     int64_t until_ms) override;
  Status CommitStage(const StageCommit& c) override;
  Status ScheduleRetry(std::string_view job_id, std::string_view worker_id, int64_t retry_at_ms,
                       const LastError& err, int64_t now_ms, bool counts_as_attempt) override;
  Status DeadLetter(std::string_view job_id, std::string_view worker_id, const LastError& err,
                    int64_t now_ms) override;
  Status ReleaseClaim(std::string_view job_id, std::string_view worker_id, int64_t now_ms) override;
  Result<Job> RequeueJob(std::string_view user_id, std::string_view job_id,
                         int64_t now_ms) override;
  Status RecordRoute(std::string_view job_id, const RouteRecord& r, int64_t now_ms) override;
  Result<bool> WakeParkedJob(std::string_view job_id, JobStatus status, const Event& event,
                             int64_t now_ms) override;
  Result<WebhookOutcome> RecordWebhookDelivery(const WebhookDelivery& d, const Event& wake,
                                               int64_t min_wake_interval_ms) override;
  Result<std::vector<CallbackMessage>> ClaimCallbacks(std::string_view deliverer_id, int64_t now_ms,
                                                      int64_t lease_ms, int limit) override;
  Status RescheduleCallback(int64_t id, std::string_view deliverer_id, int64_t next_attempt_at_ms,
                            std::string_view body) override;
  Status FinishCallback(int64_t id, std::string_view deliverer_id, const Event& event) override;
  Status CreateSigninCode(const SigninCode& c) override;
  Result<std::optional<SigninCode>> RedeemSigninCode(std::string_view code_hash,
                                                     int64_t now_ms) override;
  // Forwarded without faults: wake-ups are hints, and their users poll anyway.
  std::unique_ptr<StoreSubscription> SubscribeJobQueued(std::function<void()> fn) override {
    return inner_->SubscribeJobQueued(std::move(fn));
  }
  std::unique_ptr<StoreSubscription> SubscribeVectorChanges(std::function<void()> fn) override {
    return inner_->SubscribeVectorChanges(std::move(fn));
  }

 private:
  struct Fault {
    std::string method;  // empty: matches by call number
    int64_t at_call = 0;
    int remaining = 0;
    When when = When::kBefore;
    Status status;
  };
  struct Taken {
    When when;
    Status status;
  };

  // Counts the call and returns the fault it must suffer, if any.
  std::optional<Taken> Take(std::string_view method);

  // Runs fn() on the inner store unless a fault says otherwise.
  template <typename F>
  auto Call(std::string_view method, F&& fn) -> decltype(fn()) {
    std::optional<Taken> fault = Take(method);
    if (fault && fault->when == When::kBefore) return fault->status;
    auto result = fn();
    if (fault) return fault->status;
    return result;
  }

  Store* const inner_;
  mutable std::mutex mu_;
  std::vector<Fault> faults_;  // guarded by mu_
  int64_t calls_ = 0;          // guarded by mu_
  int64_t injected_ = 0;       // guarded by mu_
};

}  // namespace ingestd
