// PgStore: connections, migrations and the read side. Writes live in pg_store_uploads.cpp
// (API side) and pg_store_worker.cpp (worker side).
#include "store/postgres/pg_store.h"

#include <algorithm>

#include "store/postgres/pg_migrations.h"
#include "store/postgres/pg_rows.h"
#include "store/postgres/pg_sql.h"
#include "store/store_codes.h"

namespace ingestd::pg {
namespace {

constexpr int kMaxListLimit = 1000;

using record::OrNotFound;
using store_codes::DocumentNotFound;
using store_codes::JobNotFound;

}  // namespace

PgStore::PgStore(const std::string& url, PgStoreOptions options)
    : pool_(url, options.pool),
      listener_(url, sql::kJobsChannel, options.listener_reconnect_ms),
      vector_listener_(url, sql::kVectorsChannel, options.listener_reconnect_ms) {}

Result<std::unique_ptr<PgStore>> PgStore::Open(const std::string& url, PgStoreOptions options) {
  std::unique_ptr<PgStore> store(new PgStore(url, options));
  // Fail at start-up, not at the first request, when the server cannot be reached.
  Result<PooledConn> conn = store->pool_.Acquire();
  if (!conn.ok()) return conn.status();
  return store;
}

Status PgStore::Migrate() {
  return Autocommit([](PgConn& c) { return ApplyMigrations(c); });
}

Status PgStore::Ping() {
  return Autocommit([](PgConn& c) { return Run(c, sql::kPing, {}); });
}

std::unique_ptr<StoreSubscription> PgStore::SubscribeJobQueued(std::function<void()> fn) {
  return listener_.Subscribe(std::move(fn));
}

Result<Job> PgStore::GetJob(std::string_view user_id, std::string_view job_id) {
  return Autocommit([&](PgConn& c) {
    return OrNotFound(
        QueryOne<Job>(c, sql::kSelectJobScoped, PgParams().Add(job_id).Add(user_id), ReadJob),
        JobNotFound);
  });
}

Result<Job> PgStore::GetJobUnscoped(std::string_view job_id) {
  return Autocommit([&](PgConn& c) {
    return OrNotFound(QueryOne<Job>(c, sql::kSelectJob, PgParams().Add(job_id), ReadJob),
                      JobNotFound);
  });
}

Result<std::vector<Job>> PgStore::ListJobs(std::string_view user_id, const JobFilter& f) {
  const int limit = std::clamp(f.limit, 0, kMaxListLimit);
  const int offset = std::max(f.offset, 0);
  std::optional<std::string_view> state, status;
  if (f.state) state = ToString(*f.state);
  if (f.status) status = ToString(*f.status);
  return Autocommit([&](PgConn& c) {
    return QueryAll<Job>(c, sql::kListJobs,
                         PgParams().Add(user_id).Add(state).Add(status).Add(limit).Add(offset),
                         ReadJob);
  });
}

Result<Document> PgStore::GetDocument(std::string_view user_id, std::string_view doc_id) {
  return Autocommit([&](PgConn& c) {
    return OrNotFound(QueryOne<Document>(c, sql::kSelectDocumentScoped,
                                         PgParams().Add(doc_id).Add(user_id), ReadDocument),
                      DocumentNotFound);
  });
}

Result<Document> PgStore::GetDocumentUnscoped(std::string_view doc_id) {
  return Autocommit([&](PgConn& c) {
    return OrNotFound(
        QueryOne<Document>(c, sql::kSelectDocument, PgParams().Add(doc_id), ReadDocument),
        DocumentNotFound);
  });
}

Result<std::vector<Chunk>> PgStore::ListChunks(std::string_view user_id, std::string_view doc_id,
                                               int limit, int offset) {
  limit = std::clamp(limit, 0, kMaxListLimit);
  offset = std::max(offset, 0);
  return Autocommit([&](PgConn& c) -> Result<std::vector<Chunk>> {
    // Two statements: a document deleted in between reads as "no chunks", which is what a
    // reader a moment later would see anyway.
    Result<std::optional<Document>> doc = QueryOne<Document>(
        c, sql::kSelectDocumentScoped, PgParams().Add(doc_id).Add(user_id), ReadDocument);
    if (!doc.ok()) return doc.status();
    if (!doc->has_value()) return DocumentNotFound();
    return QueryAll<Chunk>(c, sql::kListChunks, PgParams().Add(doc_id).Add(limit).Add(offset),
                           ReadChunk);
  });
}

Result<std::vector<Chunk>> PgStore::GetChunks(std::string_view doc_id) {
  return Autocommit([&](PgConn& c) {
    return QueryAll<Chunk>(c, sql::kAllChunks, PgParams().Add(doc_id), ReadChunk);
  });
}

Result<int64_t> PgStore::CountChunks(std::string_view doc_id) {
  return Autocommit(
      [&](PgConn& c) { return QueryInt(c, sql::kCountChunks, PgParams().Add(doc_id)); });
}

Result<int64_t> PgStore::CountVectors(std::string_view doc_id) {
  return Autocommit(
      [&](PgConn& c) { return QueryInt(c, sql::kCountVectors, PgParams().Add(doc_id)); });
}

Result<std::vector<VectorRecord>> PgStore::GetVectors(std::string_view doc_id) {
  return Autocommit([&](PgConn& c) {
    return QueryAll<VectorRecord>(c, sql::kGetVectors, PgParams().Add(doc_id), ReadVector,
                                  ResultFormat::kBinary);
  });
}

Result<std::optional<Job>> PgStore::FindJobForDocument(std::string_view doc_id) {
  return Autocommit([&](PgConn& c) {
    return QueryOne<Job>(c, sql::kSelectNewestJobForDocument, PgParams().Add(doc_id), ReadJob);
  });
}

Result<std::vector<Event>> PgStore::ListEvents(std::string_view user_id, std::string_view job_id) {
  return Autocommit([&](PgConn& c) -> Result<std::vector<Event>> {
    Result<std::optional<Job>> job =
        QueryOne<Job>(c, sql::kSelectJobScoped, PgParams().Add(job_id).Add(user_id), ReadJob);
    if (!job.ok()) return job.status();
    if (!job->has_value()) return JobNotFound();
    return QueryAll<Event>(c, sql::kListEvents, PgParams().Add(job_id), ReadEvent);
  });
}

}  // namespace ingestd::pg
