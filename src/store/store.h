// Store: durable documents, jobs, chunks, vectors and events.
//
// Contract, for every backend (the conformance suite in store_conformance.h checks it):
// - Methods taking a user_id are scoped to that user: another user's row is kNotFound.
// - Every method that changes a job does so in one transaction together with the rows
//   the change implies (chunks, vectors, events), so a crash leaves either all or none.
// - Worker-side changes (CommitStage, ScheduleRetry, DeadLetter, ReleaseClaim, ExtendLease)
//   succeed only while the caller holds the lease: state working, claimed_by == worker_id.
//   Otherwise (including when the job no longer exists) they fail with kConflict /
//   "LEASE_LOST" and change nothing.
// - Writing chunks and vectors is idempotent: chunks are keyed by id, vectors by
//   (chunk_id, model); a re-run stage replaces instead of duplicating.
// - Events get their id from the store; ListEvents returns them in id order.
// - Times are the now_ms the caller passes (the store never reads a clock); created_at and
//   updated_at columns take that value.
// - Database failures are kUnavailable ("DB_BUSY", retryable) when the database stayed
//   locked past the busy timeout, kUnavailable ("DB_UNAVAILABLE", retryable) when a
//   database server cannot be reached, kInternal ("DB_ERROR") otherwise.
// - Implementations are thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/model.h"
#include "core/status.h"

namespace ingestd {

struct CreateUploadResult {
  Document document;
  Job job;
  bool duplicate = false;  // the user already had these bytes: existing rows returned
};

// ListDocuments: every member optional; status and state are those of the newest job.
struct DocumentFilter {
  std::optional<JobStatus> status;
  std::optional<QueueState> state;
  std::string filename_prefix;  // a literal prefix of Document::filename; empty = any
  int limit = 50;
  int offset = 0;
};

// How many jobs share one queue state and status (CountJobsByState).
struct JobCount {
  QueueState state = QueueState::kQueued;
  JobStatus status = JobStatus::kAwaitingUpload;
  int64_t count = 0;
};

// A document as GET /api/v1/documents lists it.
struct DocumentSummary {
  Document document;
  std::optional<Job> job;  // its newest job
  int64_t chunk_count = 0;
  int64_t vector_count = 0;
  std::vector<std::string> vector_models;  // distinct models of its vectors, sorted
};

// Retrieval (KeywordSearch, ListDocumentIds): every member optional; empty = no restriction.
// Upload times are exclusive bounds on Document::created_at_ms.
struct SearchFilter {
  std::vector<std::string> document_ids;
  std::string filename_prefix;  // a literal, case-sensitive prefix of Document::filename
  std::optional<int64_t> uploaded_after_ms, uploaded_before_ms;

  // Whether any field is set (an empty filter passes every document).
  bool restricts() const {
    return !document_ids.empty() || !filename_prefix.empty() || uploaded_after_ms ||
           uploaded_before_ms;
  }
};

struct KeywordHit {
  std::string chunk_id;
  double score = 0;  // higher is better; comparable only within one answer
};

// A chunk as a search answers with it.
struct ChunkView {
  Chunk chunk;
  std::string filename;
  int64_t uploaded_at_ms = 0;  // Document::created_at_ms
};

// One entry of the vector change feed: a vector stored or replaced (values set), or one
// removed (deleted; values empty). Ordered by seq, the store-wide change sequence.
struct VectorChange {
  int64_t seq = 0;
  std::string user_id, document_id, chunk_id, model;
  std::vector<float> values;
  bool deleted = false;
};

// One entry of a user's chunk change feed: a chunk stored (chunk set) or removed (empty).
struct ChunkChange {
  int64_t seq = 0;
  std::string user_id;
  std::optional<ChunkView> chunk;
  std::string chunk_id;
};

// What embedding cost a document or a window (Store::GetEmbedUsage, SumEmbedSavings).
struct EmbedUsage {
  int64_t chunks = 0;         // the document's chunks (SumEmbedSavings: 0)
  int64_t chunks_cached = 0;  // vectors copied from the embedding cache
  int64_t tokens_paid = 0;    // tokens of the vectors an embedder made (SumEmbedSavings: 0)
  int64_t tokens_cached = 0;  // tokens of the cache hits
  int64_t saved_nanos = 0;    // what the cache hits saved
};

struct JobFilter {
  std::optional<QueueState> state;
  std::optional<JobStatus> status;
  int limit = 50;
  int offset = 0;
};

// One stage's durable effect, applied atomically by CommitStage.
struct StageCommit {
  std::string job_id;
  std::string worker_id;
  JobStatus to = JobStatus::kUploaded;  // the new status
  // kQueued to continue (the claim is released), kDone when complete (released too),
  // kWorking to keep the claim and lease and go on with the next stage, kRetryable to park
  // the job until retry_at_ms (released; no attempt used, last_error untouched).
  QueueState next_state = QueueState::kQueued;
  int64_t retry_at_ms = 0;  // with kRetryable
  // When set, replaces all chunks (and their vectors) of the job's document. Chunk and
  // vector document_id may be left empty: the job's document is used.
  std::optional<std::vector<Chunk>> chunks;
  // Upserted by (chunk_id, model). With next_state kWorking they are durable at once and
  // the claim stays: the embed stage stores each provider request's vectors as it returns,
  // so a re-run (retry, reclaim) finds them and pays only for the rest. Their cache columns
  // (text_sha256, tokens, cache_hit, saved_nanos) are written too, with now_ms as the time
  // the entry was last used.
  std::vector<VectorRecord> vectors;
  std::optional<int> page_count;  // stored on the document when set
  std::vector<Event> events;      // empty job_id/correlation_id default to the job's
  int stage_pct = 0;              // progress within the new status, 0-100
  nlohmann::json timings_patch = nlohmann::json::object();  // merged into job.timings
  int64_t now_ms = 0;
};

// One webhook delivery from a provider about a job. Providers retry deliveries (LlamaParse:
// 3 attempts), so the same (job_id, event_id) may arrive more than once.
struct WebhookDelivery {
  std::string job_id;
  std::string event_id;
  std::string event_type;
  int64_t received_at_ms = 0;
};

struct WebhookOutcome {
  bool duplicate = false;  // (job_id, event_id) was recorded before: nothing changed
  bool woke = false;       // the wake event was appended: the job's next poll comes now
};

// A completion callback waiting in the outbox (migration v7): written by the transaction
// that ends a job carrying a Job::callback_url (CommitStage to kDone: job.completed;
// DeadLetter: job.failed), delivered by whoever claims it (ClaimCallbacks), removed with its
// job.
struct CallbackMessage {
  int64_t id = 0;
  std::string webhook_id;  // "msg_<job id>_<id>": the same on every redelivery
  std::string job_id, user_id, correlation_id;
  std::string type;  // "job.completed" | "job.failed"
  std::string url;
  std::string body;  // empty until an attempt failed; then the body every redelivery sends
  int attempts = 0;  // claims so far, this one included
  int64_t created_at_ms = 0;
};

// A one-time sign-in code (`ingestd signin-code`, POST /api/v1/auth/signin), migration v13.
// The store keeps only the SHA-256 of the code, so a copy of the database signs nobody in.
struct SigninCode {
  std::string code_hash;  // lower-case hex SHA-256 of the code
  std::string user_id;
  std::string role;  // of the session token a redemption mints: "user" | "admin"
  int64_t created_at_ms = 0;
  int64_t expires_at_ms = 0;  // redeemable while now < expires_at
};

// Keeps a SubscribeJobQueued callback registered; destroying it unregisters the callback
// (and waits for a call in progress to return).
class StoreSubscription {
 public:
  virtual ~StoreSubscription() = default;
};

class Store {
 public:
  virtual ~Store() = default;

  // Creates or upgrades the schema; safe to call on every start.
  virtual Status Migrate() = 0;
  // Cheap round trip, for readiness checks.
  virtual Status Ping() = 0;

  // Inserts the document, its job and an UPLOAD_ACCEPTED event in one transaction. When
  // the same user already has a document with the same sha256, inserts nothing but an
  // UPLOAD_DEDUP_HIT event on the existing job and returns the existing rows (duplicate).
  // With max_active_jobs > 0, a new (not duplicate) upload is refused when the user already
  // has that many active jobs (CountActiveJobs), counted inside the same transaction and
  // serialized per user, so concurrent uploads from any process never exceed the cap:
  // kRateLimited ("ACTIVE_JOBS_LIMIT_EXCEEDED", retryable), nothing stored.
  virtual Result<CreateUploadResult> CreateUpload(const Document& doc, const Job& job,
                                                  int64_t now_ms, int max_active_jobs = 0) = 0;
  // Two-step upload: the bytes are stored under blob_key. Moves the job from
  // awaiting_upload to uploaded/queued, sets the document's blob_key and appends an
  // UPLOAD_COMPLETED event. kConflict ("UPLOAD_ALREADY_COMPLETED") from any other status,
  // kNotFound ("JOB_NOT_FOUND") for an unknown job.
  virtual Status CompleteUpload(std::string_view job_id, std::string_view blob_key,
                                int64_t now_ms) = 0;

  virtual Result<Job> GetJob(std::string_view user_id, std::string_view job_id) = 0;
  virtual Result<Job> GetJobUnscoped(std::string_view job_id) = 0;
  // Newest first (created_at, then id, descending). limit is clamped to [0, 1000].
  virtual Result<std::vector<Job>> ListJobs(std::string_view user_id, const JobFilter& f) = 0;
  // The user's active jobs: state neither done nor deadletter (awaiting upload included).
  virtual Result<int64_t> CountActiveJobs(std::string_view user_id) = 0;
  // Every user's jobs counted per (state, status), for the jobs gauges of GET /metrics; pairs
  // with no job are absent. One aggregate over the jobs table (no index serves it: callers
  // cache it, the metrics for a second).
  virtual Result<std::vector<JobCount>> CountJobsByState() = 0;
  virtual Result<Document> GetDocument(std::string_view user_id, std::string_view doc_id) = 0;
  virtual Result<Document> GetDocumentUnscoped(std::string_view doc_id) = 0;
  virtual Result<std::vector<Chunk>> ListChunks(std::string_view user_id, std::string_view doc_id,
                                                int limit, int offset) = 0;
  // All chunks of a document in ordinal order (worker side, unscoped).
  virtual Result<std::vector<Chunk>> GetChunks(std::string_view doc_id) = 0;
  virtual Result<int64_t> CountChunks(std::string_view doc_id) = 0;
  virtual Result<int64_t> CountVectors(std::string_view doc_id) = 0;
  // All vectors of a document, ordered by chunk ordinal then model (worker side, unscoped).
  virtual Result<std::vector<VectorRecord>> GetVectors(std::string_view doc_id) = 0;
  // The user's documents passing f, newest first (created_at, then id, descending), each
  // read in one snapshot with its newest job, its chunk and vector counts and its vector
  // models. limit is clamped to [0, 1000].
  virtual Result<std::vector<DocumentSummary>> ListDocuments(std::string_view user_id,
                                                             const DocumentFilter& f) = 0;
  // The vectors (every model) of those of chunk_ids that are the user's chunks, ordered by
  // chunk id then model; unknown and other users' ids are skipped.
  virtual Result<std::vector<VectorRecord>> GetChunkVectors(
      std::string_view user_id, const std::vector<std::string>& chunk_ids) = 0;
  // Keyword (full-text) search over the user's chunks passing f, best first (ties by chunk
  // id), at most limit (clamped to [0, 1000]). The query is user text, never query syntax:
  // it is split into words (anything but ASCII letters and digits separates; NUL and
  // invalid UTF-8 are dropped; the first 128 distinct words count), and a chunk matches
  // when it holds any of them, case and diacritics ignored. Any input is a valid query; one
  // without words answers nothing. SQLite: FTS5 (unicode61, remove_diacritics 2), scored by
  // -bm25(); PostgreSQL: a tsvector column ('simple' config over unaccent, ASCII
  // punctuation separating words as in FTS5) with a GIN index, scored by ts_rank_cd (not
  // BM25). The index is written in the transactions that store chunks and removed with them.
  virtual Result<std::vector<KeywordHit>> KeywordSearch(std::string_view user_id,
                                                        std::string_view query,
                                                        const SearchFilter& f, int limit) = 0;
  // Those of chunk_ids that are the user's chunks, in the order asked (unknown, other
  // users' and repeated ids skipped).
  virtual Result<std::vector<ChunkView>> GetChunkViews(
      std::string_view user_id, const std::vector<std::string>& chunk_ids) = 0;
  // The user's document ids passing f, in id order.
  virtual Result<std::vector<std::string>> ListDocumentIds(std::string_view user_id,
                                                           const SearchFilter& f) = 0;
  // The change sequence: one store-wide counter. Every chunk and vector row gets the next
  // value when it is written (insert, or a vector replaced in place), and every removal
  // (DeleteDocument, chunk replacement, ReplaceDocumentVectors' other models) leaves a
  // tombstone with a value of its own, in the same transaction. A reader that pages with
  // after_seq = the last seq it saw never misses a change: values become visible in
  // increasing order (PostgreSQL serializes the writers that take values until they
  // commit). A tombstone is left out when the same row was written again later.
  // Every user's vector changes after after_seq, by seq, at most limit (clamped to
  // [0, 10000]).
  virtual Result<std::vector<VectorChange>> ListVectorChanges(int64_t after_seq, int limit) = 0;
  // The user's chunk changes after after_seq, by seq, at most limit (clamped to [0, 10000]).
  virtual Result<std::vector<ChunkChange>> ListChunkChanges(std::string_view user_id,
                                                            int64_t after_seq, int limit) = 0;
  // Every user's chunk changes after after_seq, by seq, at most limit (clamped to
  // [0, 10000]): what an index over all chunks (search::KeywordIndex) catches up from.
  virtual Result<std::vector<ChunkChange>> ListAllChunkChanges(int64_t after_seq, int limit) = 0;
  // Re-embedding (ingestd reembed): ids of documents holding a vector whose model is not
  // `model` (a fallback's), in id order, at most limit (clamped to [0, 10000]).
  virtual Result<std::vector<std::string>> ListDocumentsWithOtherVectors(std::string_view model,
                                                                         int limit) = 0;
  // In one transaction: upserts `vectors` (one non-empty model, this document's chunks),
  // deletes the document's vectors of every other model, and checks that each chunk now
  // has a vector of that model — so a document never holds a mix of models, nor a chunk
  // without a vector. kNotFound ("DOCUMENT_NOT_FOUND"); kInvalidArgument
  // ("INVALID_STORE_RECORD") for an empty list, mixed models or another document's vector;
  // kConflict ("VECTORS_INCOMPLETE", nothing changed) when a chunk would be left without
  // a vector (its chunks changed since they were read).
  virtual Status ReplaceDocumentVectors(std::string_view doc_id,
                                        const std::vector<VectorRecord>& vectors) = 0;
  // The embedding cache (issue 16): an index over the vectors table, not a copy of it. A
  // vector stored with a text_sha256 is an entry, keyed by (model, dims, text_sha256); it
  // belongs to its chunk's user and was last used when it was written (CommitStage's
  // now_ms): a hit is copied into the new chunk's own vector row, which then is the newest
  // entry of that text. Deleting a document removes its entries with its vectors.
  //
  // One vector per distinct hash of text_sha256s that has an entry of that model and dims,
  // the most recently written, from that user's chunks (user_id empty: any user's), with
  // text_sha256 set; in hash order. Unscoped (worker side).
  virtual Result<std::vector<VectorRecord>> FindCachedVectors(
      std::string_view model, int dims, const std::vector<std::string>& text_sha256s,
      std::string_view user_id) = 0;
  // Keeps the max_entries most recently written entries (ties: the greater chunk id, then
  // model) and drops the others from the index — their text_sha256 cleared; no vector is
  // ever deleted or changed otherwise. Returns how many were dropped.
  virtual Result<int64_t> EvictEmbedCache(int64_t max_entries) = 0;
  // The document's chunk count and, over its vectors, what was paid for and what the cache
  // saved (VectorRecord tokens, cache_hit, saved_nanos as written). Unscoped.
  virtual Result<EmbedUsage> GetEmbedUsage(std::string_view doc_id) = 0;
  // The cache hits written in [from_ms, to_ms), of the user's chunks (empty: everyone's):
  // chunks_cached, tokens_cached and saved_nanos. A deleted document's hits are gone.
  virtual Result<EmbedUsage> SumEmbedSavings(std::string_view user_id, int64_t from_ms,
                                             int64_t to_ms) = 0;

  // The newest job of a document, nullopt when it has none (unscoped).
  virtual Result<std::optional<Job>> FindJobForDocument(std::string_view doc_id) = 0;
  virtual Result<std::vector<Event>> ListEvents(std::string_view user_id,
                                                std::string_view job_id) = 0;
  virtual Status AppendEvent(const Event& e) = 0;

  // Deletes the document with its jobs, chunks, vectors and events. Returns the blob keys
  // the caller must now remove (the document's and the parsed markdown's).
  virtual Result<std::vector<std::string>> DeleteDocument(std::string_view user_id,
                                                          std::string_view doc_id) = 0;

  // Claims the next runnable job, in one atomic statement: state queued (and not
  // awaiting_upload), retryable with retry_at <= now, or working with an expired lease;
  // the highest processing_priority first, then the oldest (created_at, then id).
  // Sets state working, claimed_by, lease_expires_at = now + lease_ms. nullopt if none.
  // Taking over an expired lease uses up an attempt (retry_count + 1, same statement) and
  // returns the lost worker in Job::reclaimed_from.
  virtual Result<std::optional<Job>> ClaimNext(std::string_view worker_id, int64_t now_ms,
                                               int64_t lease_ms) = 0;
  virtual Status ExtendLease(std::string_view job_id, std::string_view worker_id,
                             int64_t until_ms) = 0;
  virtual Status CommitStage(const StageCommit& c) = 0;
  // state retryable, retry_count + 1, retry_at, last_error, a RETRY_SCHEDULED event.
  // A wait for budget or an open circuit is no failed attempt (counts_as_attempt false): it
  // leaves retry_count as it is, so waiting never uses up the attempts before dead letter.
  virtual Status ScheduleRetry(std::string_view job_id, std::string_view worker_id,
                               int64_t retry_at_ms, const LastError& err, int64_t now_ms,
                               bool counts_as_attempt) = 0;
  // state deadletter, last_error, a DLQ_MOVED event.
  virtual Status DeadLetter(std::string_view job_id, std::string_view worker_id,
                            const LastError& err, int64_t now_ms) = 0;
  // Gives the job back (state queued, no lease) without changing its status: shutdown.
  virtual Status ReleaseClaim(std::string_view job_id, std::string_view worker_id,
                              int64_t now_ms) = 0;
  // User-requested retry: deadletter/retryable → queued now, retry_count reset, a
  // RETRY_REQUESTED event; last_error is cleared (the events keep it). kConflict
  // ("JOB_NOT_RETRYABLE") from any other state.
  virtual Result<Job> RequeueJob(std::string_view user_id, std::string_view job_id,
                                 int64_t now_ms) = 0;

  // Accumulates one routed service call on the job, in one atomic UPDATE (concurrent
  // calls never lose an increment): adds r.cost_nanos to the service's actual cost, sets
  // fallback_triggered when r.fallback, and updates stage_routes[r.service] (mode,
  // implementation and reason of the latest call, calls and fallback_calls counted, the
  // latest fallback's reason kept). Not lease-guarded: the route is a fact whoever holds
  // the job. kNotFound ("JOB_NOT_FOUND") for an unknown job; kInvalidArgument
  // ("INVALID_STORE_RECORD") for a service other than parse or embed.
  virtual Status RecordRoute(std::string_view job_id, const RouteRecord& r, int64_t now_ms) = 0;

  // A webhook is only a hint to poll the provider now. In one transaction: records d under
  // the unique key (job_id, event_id) — a duplicate changes nothing, however many arrive at
  // once —, then, when the job waits on its parse (uploaded, parse_queued or parse_submitted,
  // not done or dead-lettered) and no delivery woke it in the last min_wake_interval_ms (the
  // per-job rate limit on the polls a forged delivery can cause), appends `wake` and brings
  // a parked job's retry_at forward to now. Not
  // lease-guarded. kNotFound ("JOB_NOT_FOUND") for an unknown job.
  virtual Result<WebhookOutcome> RecordWebhookDelivery(const WebhookDelivery& d, const Event& wake,
                                                       int64_t min_wake_interval_ms) = 0;

  // The Batch API batcher's wake-up: when the job is parked (state retryable) in `status`,
  // brings its retry_at forward to now and appends `event`, in one transaction; true when it
  // woke. A job in any other status or state, or gone, is left alone: false. Not
  // lease-guarded (a parked job has no lease).
  virtual Result<bool> WakeParkedJob(std::string_view job_id, JobStatus status, const Event& event,
                                     int64_t now_ms) = 0;

  // Completion callbacks. Claims up to limit (clamped to [0, 100]) outbox rows due by now
  // (oldest due first) that no live lease holds: claimed_by = deliverer_id, a lease until
  // now + lease_ms, attempts + 1. In one statement, so concurrent deliverers (any process)
  // never hold the same row at once; an expired lease is taken over.
  virtual Result<std::vector<CallbackMessage>> ClaimCallbacks(std::string_view deliverer_id,
                                                              int64_t now_ms, int64_t lease_ms,
                                                              int limit) = 0;
  // A failed attempt: releases the claim, due again at next_attempt_at_ms; body is kept as
  // the row's body when it has none yet. kConflict ("LEASE_LOST") unless deliverer_id holds
  // the row (it was taken over or is gone).
  virtual Status RescheduleCallback(int64_t id, std::string_view deliverer_id,
                                    int64_t next_attempt_at_ms, std::string_view body) = 0;
  // Delivered or given up: removes the row and appends `event` (its job's), in one
  // transaction. kConflict ("LEASE_LOST") unless deliverer_id holds the row.
  virtual Status FinishCallback(int64_t id, std::string_view deliverer_id, const Event& event) = 0;

  // One-time sign-in codes. Stores c, unused, and drops the codes that expired by
  // c.created_at_ms (used or not: neither can be redeemed again), in one transaction.
  // kInvalidArgument ("INVALID_STORE_RECORD") for an empty hash or user, kConflict
  // ("SIGNIN_CODE_EXISTS") when a code with that hash exists.
  virtual Status CreateSigninCode(const SigninCode& c) = 0;
  // Redeems the code with that hash in one atomic UPDATE: when it exists, is unused and
  // now_ms < expires_at, marks it used at now_ms and returns it; otherwise nullopt and
  // nothing changes (unknown, used and expired are not told apart). Of concurrent
  // redemptions of one code, in any processes, exactly one gets it.
  virtual Result<std::optional<SigninCode>> RedeemSigninCode(std::string_view code_hash,
                                                             int64_t now_ms) = 0;

  // Optional wake-ups for idle workers: a backend that hears of jobs made runnable by other
  // processes (PostgreSQL LISTEN/NOTIFY: CreateUpload, CompleteUpload, ReleaseClaim,
  // RequeueJob) calls fn, from a thread of its own, soon after such a commit. A hint only:
  // callers still poll now and then. nullptr when the backend has no such signal (the
  // default; SQLite). fn must be cheap and thread-safe; the store must outlive the handle.
  virtual std::unique_ptr<StoreSubscription> SubscribeJobQueued(std::function<void()> fn) {
    (void)fn;
    return nullptr;
  }
  // Optional wake-ups for a search index: a backend that hears of vector changes committed
  // by other processes (PostgreSQL: NOTIFY ingestd_vectors from every commit that writes or
  // removes vectors) calls fn, from a thread of its own, soon after such a commit, and once
  // after each (re)connect of its listener. A hint only: readers catch up through
  // ListVectorChanges and still poll now and then. Like SubscribeJobQueued otherwise.
  virtual std::unique_ptr<StoreSubscription> SubscribeVectorChanges(std::function<void()> fn) {
    (void)fn;
    return nullptr;
  }
};

// Opens the backend named by url: "sqlite:///abs/path.db", "sqlite://relative.db" or a plain
// file path (SQLite; the parent directory is created); "postgres://…" or "postgresql://…"
// (PostgreSQL, a libpq connection URL). Other schemes: kInvalidArgument
// ("UNSUPPORTED_DATABASE_URL"). Call Migrate() before use.
Result<std::unique_ptr<Store>> OpenStore(const std::string& url);

}  // namespace ingestd
