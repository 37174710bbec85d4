// PgStore: the Store backend for many processes on many machines (DESIGN.md §9).
//
// Concurrency: every call borrows one connection from a PgPool for its duration; writes are
// one READ COMMITTED transaction each, which take row locks in one order (the job, then its
// document, then its chunks, vectors and events; see pg_sql.h) and are run again when the
// server reports a serialization failure or deadlock. ClaimNext is one
// UPDATE … (SELECT … FOR UPDATE SKIP LOCKED) statement: claimers never wait on each other.
// Commits that make a job runnable NOTIFY the jobs channel; SubscribeJobQueued listens on
// it over one extra connection. Thread-safe.
#pragma once

#include <memory>
#include <string>

#include "db/pg_pool.h"
#include "store/postgres/pg_listener.h"
#include "store/store.h"

namespace ingestd::pg {

struct PgStoreOptions {
  PgPoolOptions pool;
  // Pause between attempts of the notification listener to reconnect.
  int64_t listener_reconnect_ms = 1000;
};

class PgStore final : public Store {
 public:
  // Connects once to check the URL (libpq form: postgresql://user@host:port/db?…).
  static Result<std::unique_ptr<PgStore>> Open(const std::string& url, PgStoreOptions options = {});

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

  std::unique_ptr<StoreSubscription> SubscribeJobQueued(std::function<void()> fn) override;
  std::unique_ptr<StoreSubscription> SubscribeVectorChanges(std::function<void()> fn) override;

 private:
  PgStore(const std::string& url, PgStoreOptions options);

  // Runs fn(conn) on a pooled connection without BEGIN/COMMIT: for reads and single-statement
  // writes (each statement is then its own transaction). When the pooled connection turns
  // out to be dead (server restart, idle timeout), runs fn once more on a fresh one; fn
  // must tolerate that (a statement on a dead connection did not commit, or for ClaimNext
  // at worst claimed a job whose lease then simply expires).
  template <typename F>
  auto Autocommit(F&& fn) -> decltype(fn(std::declval<PgConn&>())) {
    for (int attempt = 1;; ++attempt) {
      Result<PooledConn> conn = pool_.Acquire();
      if (!conn.ok()) return conn.status();
      auto result = fn(**conn);
      if (result.ok() || (*conn)->healthy() || attempt == 2) return result;
    }
  }

  PgPool pool_;
  PgListener listener_;         // the jobs channel
  PgListener vector_listener_;  // the vectors channel; connects on its first subscriber
};

}  // namespace ingestd::pg
