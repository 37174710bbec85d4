// Runs the Store conformance suite against SQLite, plus checks specific to this backend.
#include "store/sqlite/sqlite_store.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "core/crypto.h"
#include "core/ids.h"
#include "store/sqlite/migrations.h"
#include "store/sqlite/sqlite_sql.h"
#include "store/store_conformance.h"

namespace ingestd {
namespace {

namespace fs = std::filesystem;

std::string NewTempDir() {
  fs::path dir = fs::temp_directory_path() / ("ingestd-store-" + HexEncode(RandomBytes(6)));
  fs::create_directories(dir);
  return dir.string();
}

StoreBackend SqliteBackend() {
  return StoreBackend{
      "sqlite", [] { return "sqlite://" + NewTempDir() + "/ingestd.db"; },
      [](const std::string& url) {
        fs::remove_all(fs::path(url.substr(std::string("sqlite://").size())).parent_path());
      }};
}

INSTANTIATE_TEST_SUITE_P(Sqlite, StoreConformanceTest, ::testing::Values(SqliteBackend()),
                         StoreBackendName);
INSTANTIATE_TEST_SUITE_P(Sqlite, StoreCallbackTest, ::testing::Values(SqliteBackend()),
                         StoreBackendName);
INSTANTIATE_TEST_SUITE_P(Sqlite, StoreEmbedCacheTest, ::testing::Values(SqliteBackend()),
                         StoreBackendName);
INSTANTIATE_TEST_SUITE_P(Sqlite, StoreRetrievalTest, ::testing::Values(SqliteBackend()),
                         StoreBackendName);

class SqliteStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = NewTempDir(); }
  void TearDown() override { fs::remove_all(dir_); }

  // A raw connection for inspecting the file behind the store.
  sqlite3* RawOpen(const std::string& path) {
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    return db;
  }
  static int64_t QueryInt(sqlite3* db, const char* sql) {
    sqlite3_stmt* st = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db, sql, -1, &st, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
    int64_t v = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
    sqlite3_finalize(st);
    return v;
  }
  static std::string QueryText(sqlite3* db, const char* sql) {
    sqlite3_stmt* st = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db, sql, -1, &st, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
    std::string v;
    if (sqlite3_step(st) == SQLITE_ROW) {
      v = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
    }
    sqlite3_finalize(st);
    return v;
  }

  // The steps of EXPLAIN QUERY PLAN for sql on a freshly migrated, analyzed database.
  std::vector<std::string> PlanSteps(const char* sql) {
    const std::string path = dir_ + "/plan.db";
    EXPECT_TRUE((*OpenStore(path))->Migrate().ok());
    sqlite3* db = RawOpen(path);
    EXPECT_EQ(sqlite3_exec(db, "ANALYZE", nullptr, nullptr, nullptr), SQLITE_OK);
    const std::string explain = std::string("EXPLAIN QUERY PLAN ") + sql;
    sqlite3_stmt* st = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db, explain.c_str(), -1, &st, nullptr), SQLITE_OK)
        << sqlite3_errmsg(db);
    std::vector<std::string> steps;
    while (st != nullptr && sqlite3_step(st) == SQLITE_ROW) {
      steps.push_back(reinterpret_cast<const char*>(sqlite3_column_text(st, 3)));
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return steps;
  }

  std::string dir_;
};

TEST_F(SqliteStoreTest, OpenStoreAcceptsTheUrlForms) {
  for (const std::string& url :
       {"sqlite://" + dir_ + "/a.db", dir_ + "/b.db", "sqlite://" + dir_ + "/nested/dir/c.db"}) {
    auto store = OpenStore(url);
    ASSERT_TRUE(store.ok()) << url << ": " << store.status().ToString();
    EXPECT_TRUE((*store)->Migrate().ok());
    EXPECT_TRUE((*store)->Ping().ok());
  }
  EXPECT_TRUE(fs::exists(dir_ + "/a.db"));
  EXPECT_TRUE(fs::exists(dir_ + "/b.db"));
  EXPECT_TRUE(fs::exists(dir_ + "/nested/dir/c.db"));
}

TEST_F(SqliteStoreTest, OpenStoreRelativeUrlIsRelativeToTheWorkingDirectory) {
  fs::path old = fs::current_path();
  fs::current_path(dir_);
  auto store = OpenStore("sqlite://rel.db");
  fs::current_path(old);
  ASSERT_TRUE(store.ok());
  EXPECT_TRUE(fs::exists(dir_ + "/rel.db"));
}

TEST_F(SqliteStoreTest, UnknownSchemesAreRejected) {
  for (const char* url : {"mongodb://localhost/db", "mysql://x", "sqlite://"}) {
    auto store = OpenStore(url);
    ASSERT_FALSE(store.ok()) << url;
    EXPECT_EQ(store.status().code(), "UNSUPPORTED_DATABASE_URL") << url;
    EXPECT_EQ(store.status().kind(), Kind::kInvalidArgument);
  }
}

TEST_F(SqliteStoreTest, UsesWalAndRecordsEachMigrationOnce) {
  const std::string path = dir_ + "/x.db";
  {
    auto store = OpenStore(path);
    ASSERT_TRUE(store.ok());
    ASSERT_TRUE((*store)->Migrate().ok());
    ASSERT_TRUE((*store)->Migrate().ok());
  }
  auto again = OpenStore(path);
  ASSERT_TRUE((*again)->Migrate().ok());
  sqlite3* db = RawOpen(path);
  EXPECT_EQ(QueryText(db, "PRAGMA journal_mode"), "wal");
  EXPECT_EQ(QueryInt(db, "SELECT count(*) FROM schema_migrations"),
            static_cast<int64_t>(sqlite::Migrations().size()));
  EXPECT_EQ(QueryInt(db, "SELECT max(version) FROM schema_migrations"),
            sqlite::Migrations().back().version);
  sqlite3_close(db);
}

TEST_F(SqliteStoreTest, ConcurrentMigrationsFromManyHandlesApplyOnce) {
  const std::string path = dir_ + "/m.db";
  std::vector<std::unique_ptr<Store>> stores;
  for (int i = 0; i < 4; ++i) stores.push_back(std::move(*OpenStore(path)));
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (auto& s : stores) {
    threads.emplace_back([&failures, store = s.get()] {
      if (!store->Migrate().ok()) ++failures;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  sqlite3* db = RawOpen(path);
  EXPECT_EQ(QueryInt(db, "SELECT count(*) FROM schema_migrations"),
            static_cast<int64_t>(sqlite::Migrations().size()));
  sqlite3_close(db);
}

TEST_F(SqliteStoreTest, ClaimQueryUsesOnePartialIndexPerBranch) {
  const std::vector<std::string> steps = PlanSteps(sqlite::sql::kPickNext);
  std::string plan;
  for (const std::string& step : steps) plan += step + "\n";
  for (const char* index : {"jobs_claim_queued", "jobs_claim_retryable", "jobs_claim_leased"}) {
    EXPECT_NE(plan.find(index), std::string::npos) << index << " unused:\n" << plan;
  }
  for (const std::string& step : steps) {
    EXPECT_NE(step, "SCAN jobs") << "full table scan:\n" << plan;
  }
}

// Seeds n runnable jobs (user "u") into a migrated database at path.
void SeedJobs(const std::string& path, int n) {
  auto store = OpenStore(path);
  ASSERT_TRUE(store.ok());
  ASSERT_TRUE((*store)->Migrate().ok());
  for (int i = 0; i < n; ++i) {
    Document d;
    d.id = NewUuidV4();
    d.user_id = "u";
    d.sha256 = Sha256Hex(d.id);
    Job j;
    j.id = NewUuidV4();
    j.status = JobStatus::kUploaded;
    j.correlation_id = NewUuidV4();
    ASSERT_TRUE((*store)->CreateUpload(d, j, 1000 + i).ok());
  }
}

TEST_F(SqliteStoreTest, ProcessesClaimingFromOneFileNeverShareAJob) {
  constexpr int kJobs = 60;
  constexpr int kProcesses = 4;
  const std::string path = dir_ + "/procs.db";
  SeedJobs(path, kJobs);
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  std::vector<pid_t> children;
  for (int p = 0; p < kProcesses; ++p) {
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {  // child: its own store on the same file, like a second server
      close(fds[0]);
      auto store = OpenStore(path);
      for (;;) {
        std::string line = "ERR\n";
        if (store.ok()) {
          auto r = (*store)->ClaimNext("proc" + std::to_string(p), 10'000, 60'000);
          if (r.ok() && !r->has_value()) break;
          if (r.ok()) line = (*r)->id + "\n";
        }
        // One write below PIPE_BUF: lines from different processes never interleave.
        if (write(fds[1], line.data(), line.size()) < 0 || line == "ERR\n") break;
      }
      _exit(0);
    }
    children.push_back(pid);
  }
  close(fds[1]);
  std::string out;
  char buf[4096];
  for (ssize_t n; (n = read(fds[0], buf, sizeof buf)) > 0;) out.append(buf, static_cast<size_t>(n));
  close(fds[0]);
  for (pid_t pid : children) {
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  std::multiset<std::string> ids;
  for (size_t start = 0, nl; (nl = out.find('\n', start)) != std::string::npos; start = nl + 1) {
    ids.insert(out.substr(start, nl - start));
  }
  EXPECT_EQ(ids.count("ERR"), 0u);
  EXPECT_EQ(ids.size(), static_cast<size_t>(kJobs));
  EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()).size(), static_cast<size_t>(kJobs));
}

TEST_F(SqliteStoreTest, AProcessKilledMidWriteLeavesWholeUploadsOnly) {
  const std::string path = dir_ + "/killed.db";
  SeedJobs(path, 1);
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {  // child: uploads as fast as it can until killed
    auto store = OpenStore(path);
    for (int i = 0; store.ok(); ++i) {
      Document d;
      d.id = NewUuidV4();
      d.user_id = "u";
      d.sha256 = Sha256Hex(d.id);
      Job j;
      j.id = NewUuidV4();
      j.status = JobStatus::kUploaded;
      if (!(*store)->CreateUpload(d, j, 2000 + i).ok()) break;
    }
    _exit(1);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  ASSERT_EQ(kill(pid, SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFSIGNALED(status));  // it was still writing

  auto store = OpenStore(path);
  ASSERT_TRUE(store.ok());
  ASSERT_TRUE((*store)->Migrate().ok());
  sqlite3* db = RawOpen(path);
  EXPECT_EQ(QueryText(db, "PRAGMA integrity_check"), "ok");
  const int64_t docs = QueryInt(db, "SELECT count(*) FROM documents");
  EXPECT_GT(docs, 1);
  // Every upload is whole: one job and one UPLOAD_ACCEPTED event per document.
  EXPECT_EQ(QueryInt(db, "SELECT count(*) FROM jobs"), docs);
  EXPECT_EQ(QueryInt(db, "SELECT count(*) FROM events WHERE code = 'UPLOAD_ACCEPTED'"), docs);
  EXPECT_EQ(QueryInt(db,
                     "SELECT count(*) FROM documents d WHERE NOT EXISTS"
                     " (SELECT 1 FROM jobs j WHERE j.document_id = d.id)"),
            0);
  sqlite3_close(db);
  // And the store keeps working on the file.
  auto claimed = (*store)->ClaimNext("w", 1'000'000, 1000);
  ASSERT_TRUE(claimed.ok());
  EXPECT_TRUE(claimed->has_value());
}

TEST_F(SqliteStoreTest, ReadsDoNotWaitForAnotherProcessesWriteLock) {
  const std::string path = dir_ + "/locked.db";
  SeedJobs(path, 1);
  sqlite::SqliteStoreOptions options;
  options.busy_timeout_ms = 200;
  auto store = sqlite::SqliteStore::Open(path, options);
  ASSERT_TRUE(store.ok());
  auto jobs = (*store)->ListJobs("u", {});
  ASSERT_EQ(jobs->size(), 1u);

  sqlite3* other = RawOpen(path);  // another process holding the write lock
  ASSERT_EQ(sqlite3_exec(other, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
  EXPECT_TRUE((*store)->GetJob("u", (*jobs)[0].id).ok());
  EXPECT_EQ((*store)->ListJobs("u", {})->size(), 1u);
  auto claim = (*store)->ClaimNext("w", 10'000, 1000);
  ASSERT_FALSE(claim.ok());
  EXPECT_EQ(claim.status().code(), "DB_BUSY");
  EXPECT_EQ(claim.status().kind(), Kind::kUnavailable);
  EXPECT_TRUE(claim.status().retryable());

  ASSERT_EQ(sqlite3_exec(other, "COMMIT", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(other);
  auto retried = (*store)->ClaimNext("w", 10'000, 1000);
  ASSERT_TRUE(retried.ok());
  EXPECT_TRUE(retried->has_value());
}

TEST_F(SqliteStoreTest, AStoredJsonFieldOfAnotherTypeIsReadAsAbsentNotThrown) {
  const std::string path = dir_ + "/typed.db";
  SeedJobs(path, 1);
  sqlite3* db = RawOpen(path);
  ASSERT_EQ(sqlite3_exec(db,
                         "UPDATE jobs SET last_error = "
                         "'{\"code\":\"E\",\"message\":[\"m\"],\"stage\":{\"s\":1},\"at\":\"12\"}'",
                         nullptr, nullptr, nullptr),
            SQLITE_OK)
      << sqlite3_errmsg(db);
  sqlite3_close(db);
  auto store = OpenStore(path);
  ASSERT_TRUE(store.ok());
  auto claimed = (*store)->ClaimNext("w", 5'000, 1'000);
  ASSERT_TRUE(claimed.ok()) << claimed.status().ToString();
  ASSERT_TRUE(claimed->has_value());
  const std::optional<LastError>& e = (*claimed)->last_error;
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->code, "E");
  EXPECT_EQ(e->message, "");
  EXPECT_EQ(e->stage, "");
  EXPECT_EQ(e->at_ms, 0);
}

TEST_F(SqliteStoreTest, RetrievalReadsWalkTheirIndexes) {
  auto plan_of = [&](const char* sql) {
    std::string plan;
    for (const std::string& step : PlanSteps(sql)) plan += step + "\n";
    return plan;
  };
  // The FTS index drives the search; a user's chunk feed walks (user_id, seq), no sort of
  // all their chunks per page; the vector feed walks seq.
  const std::string search = plan_of(sqlite::sql::kKeywordSearch);
  EXPECT_NE(search.find("SCAN chunks_fts VIRTUAL TABLE INDEX"), std::string::npos) << search;
  const std::string top = plan_of(sqlite::sql::kKeywordSearchTop);
  EXPECT_NE(top.find("SCAN chunks_fts VIRTUAL TABLE INDEX"), std::string::npos) << top;
  EXPECT_NE(top.find("chunks_by_seq"), std::string::npos) << top;
  // Hydration reads the asked chunks by primary key, never every chunk of the user's
  // documents (which the planner picked while it was free to start from documents).
  const std::string views = plan_of(sqlite::sql::kGetChunkViews);
  EXPECT_EQ(views.find("SEARCH c USING INDEX sqlite_autoindex_chunks_1 (id=?)"), 0u) << views;
  EXPECT_EQ(views.find("user_id=?"), std::string::npos) << views;
  const std::string chunks = plan_of(sqlite::sql::kListChunkChanges);
  EXPECT_NE(chunks.find("chunks_by_user_seq"), std::string::npos) << chunks;
  const std::string vectors = plan_of(sqlite::sql::kListVectorChanges);
  EXPECT_NE(vectors.find("vectors_by_seq"), std::string::npos) << vectors;
  EXPECT_NE(vectors.find("SEARCH t USING INTEGER PRIMARY KEY"), std::string::npos) << vectors;
}

TEST_F(SqliteStoreTest, AVectorWrittenWithoutItsSeqStillTakesTheNext) {
  // The store's own upserts name their seq (kUpsertVector); a write that does not is given
  // one by the trigger, and the counter moves on either way.
  const std::string path = dir_ + "/seq.db";
  auto store = OpenStore(path);
  ASSERT_TRUE(store.ok());
  ASSERT_TRUE((*store)->Migrate().ok());
  sqlite3* db = RawOpen(path);
  ASSERT_EQ(sqlite3_exec(db,
                         "INSERT INTO documents (id, user_id, filename, mime, size_bytes, sha256,"
                         " created_at) VALUES ('d1', 'u1', 'f.pdf', 'application/pdf', 1, 'h', 5);"
                         "INSERT INTO chunks (id, document_id, ord, text, token_count, char_start,"
                         " char_end) VALUES ('c0', 'd1', 0, 'x', 1, 0, 1);"
                         "INSERT INTO vectors (chunk_id, model, document_id, dims, data)"
                         " VALUES ('c0', 'a', 'd1', 1, x'0000803f');"
                         "UPDATE vectors SET data = x'00000040' WHERE model = 'a';"
                         "INSERT INTO vectors (chunk_id, model, document_id, dims, data, seq)"
                         " VALUES ('c0', 'b', 'd1', 1, x'0000803f', 1)",
                         nullptr, nullptr, nullptr),
            SQLITE_OK)
      << sqlite3_errmsg(db);
  sqlite3_close(db);
  ASSERT_TRUE((*store)->ReplaceDocumentVectors("d1", {VectorRecord{"c0", "d1", "b", {3}}}).ok());
  auto changes = (*store)->ListVectorChanges(0, 10);
  ASSERT_TRUE(changes.ok()) << changes.status().ToString();
  // chunk c0 took 1; a: 2, then 3 when updated; b: 4 (its stale seq replaced), then 5 when
  // replaced through the store, 6 the tombstone of a.
  ASSERT_EQ(changes->size(), 2u);
  EXPECT_EQ((*changes)[0].model, "b");
  EXPECT_EQ((*changes)[0].seq, 5);
  EXPECT_FALSE((*changes)[0].deleted);
  EXPECT_EQ((*changes)[1].model, "a");
  EXPECT_EQ((*changes)[1].seq, 6);
  EXPECT_TRUE((*changes)[1].deleted);
}

TEST_F(SqliteStoreTest, RetrievalMigrationIndexesAndSequencesExistingRows) {
  // A database of the schema before v6, with a stored document.
  const std::string path = dir_ + "/v5.db";
  sqlite3* db = RawOpen(path);
  auto exec = [&](const std::string& sql) {
    ASSERT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK)
        << sqlite3_errmsg(db) << "\n"
        << sql;
  };
  exec(
      "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL,"
      " applied_at INTEGER NOT NULL DEFAULT 0)");
  for (const sqlite::Migration& m : sqlite::Migrations()) {
    if (m.version >= 6) break;
    exec(m.sql);
    exec("INSERT INTO schema_migrations (version, name) VALUES (" + std::to_string(m.version) +
         ", '" + std::string(m.name) + "')");
  }
  exec(
      "INSERT INTO documents (id, user_id, filename, mime, size_bytes, sha256, created_at)"
      " VALUES ('d1', 'u1', 'old.pdf', 'application/pdf', 1, 'h', 5)");
  exec(
      "INSERT INTO chunks (id, document_id, ord, text, token_count, char_start, char_end)"
      " VALUES ('c0', 'd1', 0, 'un café ancien', 3, 0, 10), ('c1', 'd1', 1, 'autre', 1, 10, 15)");
  exec(
      "INSERT INTO vectors (chunk_id, model, document_id, dims, data)"
      " VALUES ('c0', 'm', 'd1', 1, x'0000803f'), ('c1', 'm', 'd1', 1, x'00000040')");
  sqlite3_close(db);

  auto store = OpenStore(path);
  ASSERT_TRUE(store.ok());
  ASSERT_TRUE((*store)->Migrate().ok());
  auto hits = (*store)->KeywordSearch("u1", "cafe", {}, 10);
  ASSERT_TRUE(hits.ok()) << hits.status().ToString();
  ASSERT_EQ(hits->size(), 1u);
  EXPECT_EQ((*hits)[0].chunk_id, "c0");
  auto chunks = (*store)->ListChunkChanges("u1", 0, 10);
  ASSERT_TRUE(chunks.ok()) << chunks.status().ToString();
  ASSERT_EQ(chunks->size(), 2u);
  auto vectors = (*store)->ListVectorChanges(0, 10);
  ASSERT_TRUE(vectors.ok()) << vectors.status().ToString();
  ASSERT_EQ(vectors->size(), 2u);
  std::set<int64_t> seqs;
  for (const ChunkChange& c : *chunks) seqs.insert(c.seq);
  for (const VectorChange& v : *vectors) seqs.insert(v.seq);
  EXPECT_EQ(seqs.size(), 4u);
  EXPECT_GT(*seqs.begin(), 0);
  EXPECT_EQ((*vectors)[0].values, std::vector<float>{1.0f});
  // The next write continues after them; deleting leaves tombstones after that.
  ASSERT_TRUE((*store)->DeleteDocument("u1", "d1").ok());
  auto after = (*store)->ListVectorChanges(*seqs.rbegin(), 10);
  ASSERT_TRUE(after.ok());
  ASSERT_EQ(after->size(), 2u);
  EXPECT_TRUE((*after)[0].deleted);
  EXPECT_THAT((*store)->KeywordSearch("u1", "cafe", {}, 10).value(), ::testing::IsEmpty());
}

TEST_F(SqliteStoreTest, StateLiteralsInSqlMatchTheModel) {
  // The SQL spells these states out (the partial index must match them word for word).
  EXPECT_EQ(ToString(QueueState::kQueued), "queued");
  EXPECT_EQ(ToString(QueueState::kWorking), "working");
  EXPECT_EQ(ToString(QueueState::kRetryable), "retryable");
  EXPECT_EQ(ToString(QueueState::kDeadletter), "deadletter");
  EXPECT_EQ(ToString(JobStatus::kAwaitingUpload), "awaiting_upload");
}

}  // namespace
}  // namespace ingestd
