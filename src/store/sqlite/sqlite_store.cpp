// SqliteStore: connections, migrations and the read side. Writes live in
// sqlite_store_uploads.cpp (API side) and sqlite_store_worker.cpp (worker side).
#include "store/sqlite/sqlite_store.h"

#include <algorithm>

#include "store/sqlite/migrations.h"
#include "store/sqlite/sqlite_query.h"
#include "store/sqlite/sqlite_rows.h"
#include "store/sqlite/sqlite_sql.h"
#include "store/store_codes.h"

namespace ingestd::sqlite {
namespace {

constexpr int kMaxListLimit = 1000;

using store_codes::DocumentNotFound;
using store_codes::JobNotFound;

}  // namespace

Result<std::unique_ptr<SqliteStore>> SqliteStore::Open(const std::string& path,
                                                       SqliteStoreOptions options) {
  if (sqlite3_threadsafe() == 0) {
    return Status::Internal("DB_ERROR", "sqlite3 was built without thread support");
  }
  Result<std::unique_ptr<SqliteConn>> writer =
      SqliteConn::Open(path, /*read_only=*/false, options.busy_timeout_ms);
  if (!writer.ok()) return writer.status();
  // WAL persists in the file; readers then never block on the writer and vice versa.
  // journal_size_limit truncates the WAL after a checkpoint instead of keeping it at its
  // largest size forever (after a burst of big vector commits).
  Status s = (*writer)->Exec("PRAGMA journal_mode=WAL; PRAGMA journal_size_limit=67108864;");
  if (!s.ok()) return s;
  return std::unique_ptr<SqliteStore>(new SqliteStore(path, options, std::move(*writer)));
}

Result<std::unique_ptr<SqliteConn>> SqliteStore::AcquireReader() {
  {
    std::lock_guard<std::mutex> lock(readers_mu_);
    if (!idle_readers_.empty()) {
      std::unique_ptr<SqliteConn> conn = std::move(idle_readers_.back());
      idle_readers_.pop_back();
      return conn;
    }
  }
  Result<std::unique_ptr<SqliteConn>> conn =
      SqliteConn::Open(path_, /*read_only=*/false, options_.busy_timeout_ms);
  if (!conn.ok()) return conn.status();
  // Read-write open (a read-only WAL connection cannot create the -shm file), but guarded.
  Status s = (*conn)->Exec("PRAGMA query_only=ON");
  if (!s.ok()) return s;
  return conn;
}

void SqliteStore::ReleaseReader(std::unique_ptr<SqliteConn> conn) {
  std::lock_guard<std::mutex> lock(readers_mu_);
  if (static_cast<int>(idle_readers_.size()) < options_.max_idle_readers) {
    idle_readers_.push_back(std::move(conn));
  }
}

Status SqliteStore::Migrate() {
  std::lock_guard<std::mutex> lock(write_mu_);
  return ApplyMigrations(*writer_);
}

Status SqliteStore::Ping() {
  return Read([](SqliteConn& c) -> Status {
    Result<int64_t> one = QueryInt(c, sql::kPing, [](Stmt&) {});
    return one.ok() ? Status() : one.status();
  });
}

Result<Job> SqliteStore::GetJob(std::string_view user_id, std::string_view job_id) {
  return Read([&](SqliteConn& c) {
    return OrNotFound(QueryOne<Job>(
                          c, sql::kSelectJobScoped,
                          [&](Stmt& s) { s.Bind(1, job_id).Bind(2, user_id); }, ReadJob),
                      JobNotFound);
  });
}

Result<Job> SqliteStore::GetJobUnscoped(std::string_view job_id) {
  return Read([&](SqliteConn& c) {
    return OrNotFound(QueryOne<Job>(
                          c, sql::kSelectJob, [&](Stmt& s) { s.Bind(1, job_id); }, ReadJob),
                      JobNotFound);
  });
}

Result<std::vector<Job>> SqliteStore::ListJobs(std::string_view user_id, const JobFilter& f) {
  const int limit = std::clamp(f.limit, 0, kMaxListLimit);
  const int offset = std::max(f.offset, 0);
  std::optional<std::string_view> state, status;
  if (f.state) state = ToString(*f.state);
  if (f.status) status = ToString(*f.status);
  return Read([&](SqliteConn& c) {
    return QueryAll<Job>(
        c, sql::kListJobs,
        [&](Stmt& s) {
          s.Bind(1, user_id).Bind(2, state).Bind(3, status).Bind(4, limit).Bind(5, offset);
        },
        ReadJob);
  });
}

Result<Document> SqliteStore::GetDocument(std::string_view user_id, std::string_view doc_id) {
  return Read([&](SqliteConn& c) {
    return OrNotFound(QueryOne<Document>(
                          c, sql::kSelectDocumentScoped,
                          [&](Stmt& s) { s.Bind(1, doc_id).Bind(2, user_id); }, ReadDocument),
                      DocumentNotFound);
  });
}

Result<Document> SqliteStore::GetDocumentUnscoped(std::string_view doc_id) {
  return Read([&](SqliteConn& c) {
    return OrNotFound(
        QueryOne<Document>(
            c, sql::kSelectDocument, [&](Stmt& s) { s.Bind(1, doc_id); }, ReadDocument),
        DocumentNotFound);
  });
}

Result<std::vector<Chunk>> SqliteStore::ListChunks(std::string_view user_id,
                                                   std::string_view doc_id, int limit, int offset) {
  limit = std::clamp(limit, 0, kMaxListLimit);
  offset = std::max(offset, 0);
  return Read(
      [&](SqliteConn& c) -> Result<std::vector<Chunk>> {
        Result<std::optional<Document>> doc = QueryOne<Document>(
            c, sql::kSelectDocumentScoped, [&](Stmt& s) { s.Bind(1, doc_id).Bind(2, user_id); },
            ReadDocument);
        if (!doc.ok()) return doc.status();
        if (!doc->has_value()) return DocumentNotFound();
        return QueryAll<Chunk>(
            c, sql::kListChunks, [&](Stmt& s) { s.Bind(1, doc_id).Bind(2, limit).Bind(3, offset); },
            ReadChunk);
      },
      /*consistent=*/true);
}

Result<std::vector<Chunk>> SqliteStore::GetChunks(std::string_view doc_id) {
  return Read([&](SqliteConn& c) {
    // LIMIT -1: no limit in SQLite.
    return QueryAll<Chunk>(
        c, sql::kListChunks, [&](Stmt& s) { s.Bind(1, doc_id).Bind(2, -1).Bind(3, 0); }, ReadChunk);
  });
}

Result<int64_t> SqliteStore::CountChunks(std::string_view doc_id) {
  return Read([&](SqliteConn& c) {
    return QueryInt(c, sql::kCountChunks, [&](Stmt& s) { s.Bind(1, doc_id); });
  });
}

Result<int64_t> SqliteStore::CountVectors(std::string_view doc_id) {
  return Read([&](SqliteConn& c) {
    return QueryInt(c, sql::kCountVectors, [&](Stmt& s) { s.Bind(1, doc_id); });
  });
}

Result<std::vector<VectorRecord>> SqliteStore::GetVectors(std::string_view doc_id) {
  return Read([&](SqliteConn& c) {
    return QueryAll<VectorRecord>(
        c, sql::kGetVectors, [&](Stmt& s) { s.Bind(1, doc_id); }, ReadVector);
  });
}

Result<std::optional<Job>> SqliteStore::FindJobForDocument(std::string_view doc_id) {
  return Read([&](SqliteConn& c) {
    return QueryOne<Job>(
        c, sql::kSelectNewestJobForDocument, [&](Stmt& s) { s.Bind(1, doc_id); }, ReadJob);
  });
}

Result<std::vector<Event>> SqliteStore::ListEvents(std::string_view user_id,
                                                   std::string_view job_id) {
  return Read(
      [&](SqliteConn& c) -> Result<std::vector<Event>> {
        Result<std::optional<Job>> job = QueryOne<Job>(
            c, sql::kSelectJobScoped, [&](Stmt& s) { s.Bind(1, job_id).Bind(2, user_id); },
            ReadJob);
        if (!job.ok()) return job.status();
        if (!job->has_value()) return JobNotFound();
        return QueryAll<Event>(
            c, sql::kListEvents, [&](Stmt& s) { s.Bind(1, job_id); }, ReadEvent);
      },
      /*consistent=*/true);
}

}  // namespace ingestd::sqlite
