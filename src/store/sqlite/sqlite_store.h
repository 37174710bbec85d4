// SqliteStore: the embedded Store backend (DESIGN.md §9).
//
// Concurrency: one writer connection behind a mutex; every write is one BEGIN IMMEDIATE
// transaction, which also serializes writers in other processes sharing the file (they
// wait up to busy_timeout_ms, then get kUnavailable "DB_BUSY"). Reads use a small pool of
// separate connections; in WAL mode they never wait for the writer and see every commit
// made before they started. Thread-safe.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "db/sqlite_db.h"
#include "store/store.h"

namespace ingestd::sqlite {

struct SqliteStoreOptions {
  // How long a statement waits for another connection's lock before failing with DB_BUSY.
  // Writes are short; 5 s covers a concurrent migration or checkpoint with room to spare.
  int busy_timeout_ms = 5000;
  // Reader connections kept open between reads (more are opened under load, then closed).
  // As many as the threads that read at once (the API's 32 handler threads): a reader
  // closed after its read takes its prepared statements and page cache with it, and the
  // next one parses the schema again; with 4, 16 concurrent searches reopened a
  // connection on most reads.
  int max_idle_readers = 32;
};

class SqliteStore final : public Store {
 public:
  // Opens (creating) the database file at path and switches it to WAL.
  static Result<std::unique_ptr<SqliteStore>> Open(const std::string& path,
                                                   SqliteStoreOptions options = {});

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

 private:
  SqliteStore(std::string path, SqliteStoreOptions options, std::unique_ptr<SqliteConn> writer)
      : path_(std::move(path)), options_(options), writer_(std::move(writer)) {}

  // Runs fn(conn) inside one BEGIN IMMEDIATE transaction on the writer; commits when fn
  // returns OK, rolls back otherwise. fn returns Status or Result<T>.
  template <typename F>
  auto Write(F&& fn) -> decltype(fn(std::declval<SqliteConn&>()));
  // Runs fn(conn) on a pooled reader connection; with consistent, inside one read
  // transaction (one snapshot for several statements).
  template <typename F>
  auto Read(F&& fn, bool consistent = false) -> decltype(fn(std::declval<SqliteConn&>()));

  Result<std::unique_ptr<SqliteConn>> AcquireReader();
  void ReleaseReader(std::unique_ptr<SqliteConn> conn);

  const std::string path_;
  const SqliteStoreOptions options_;
  std::mutex write_mu_;
  std::unique_ptr<SqliteConn> writer_;  // guarded by write_mu_
  std::mutex readers_mu_;
  std::vector<std::unique_ptr<SqliteConn>> idle_readers_;  // guarded by readers_mu_
};

template <typename F>
auto SqliteStore::Write(F&& fn) -> decltype(fn(std::declval<SqliteConn&>())) {
  std::lock_guard<std::mutex> lock(write_mu_);
  Result<Txn> txn = Txn::Begin(*writer_, Txn::Mode::kImmediate);
  if (!txn.ok()) return txn.status();
  auto result = fn(*writer_);
  if (!result.ok()) return result;  // ~Txn rolls back
  Status s = txn->Commit();
  if (!s.ok()) return s;
  return result;
}

template <typename F>
auto SqliteStore::Read(F&& fn, bool consistent) -> decltype(fn(std::declval<SqliteConn&>())) {
  Result<std::unique_ptr<SqliteConn>> conn = AcquireReader();
  if (!conn.ok()) return conn.status();
  auto result = [&]() -> decltype(fn(std::declval<SqliteConn&>())) {
    if (!consistent) return fn(**conn);
    Result<Txn> txn = Txn::Begin(**conn, Txn::Mode::kDeferred);
    if (!txn.ok()) return txn.status();
    auto r = fn(**conn);
    if (!r.ok()) return r;
    Status s = txn->Commit();
    if (!s.ok()) return s;
    return r;
  }();
  ReleaseReader(std::move(*conn));
  return result;
}

}  // namespace ingestd::sqlite
