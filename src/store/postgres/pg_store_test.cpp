// Runs the Store conformance suite against PostgreSQL, plus checks specific to this
// backend: URL forms, concurrent migrations from many processes, the claim plan, NOTIFY
// wake-ups, transaction retries and lock order under contention.
#include "store/postgres/pg_store.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "core/crypto.h"
#include "core/ids.h"
#include "db/pg_test_support.h"
#include "store/postgres/pg_migrations.h"
#include "store/postgres/pg_sql.h"
#include "store/store_conformance.h"

namespace ingestd {
namespace {

using namespace std::chrono_literals;

StoreBackend PostgresBackend() {
  return StoreBackend{"postgres", [] { return pg::CreateTestDatabase(); },
                      [](const std::string& url) { pg::DropTestDatabase(url); }};
}

INSTANTIATE_TEST_SUITE_P(Postgres, StoreConformanceTest, ::testing::Values(PostgresBackend()),
                         StoreBackendName);
INSTANTIATE_TEST_SUITE_P(Postgres, StoreCallbackTest, ::testing::Values(PostgresBackend()),
                         StoreBackendName);

class PgStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    url_ = pg::CreateTestDatabase();
    ASSERT_FALSE(url_.empty());
  }
  void TearDown() override { pg::DropTestDatabase(url_); }

  std::unique_ptr<Store> Open() {
    auto store = OpenStore(url_);
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    if (!store.ok()) return nullptr;
    EXPECT_TRUE((*store)->Migrate().ok());
    return std::move(*store);
  }
  // A raw connection for inspecting the database behind the store.
  std::unique_ptr<pg::PgConn> Raw() {
    auto conn = pg::PgConn::Connect(url_);
    EXPECT_TRUE(conn.ok());
    return conn.ok() ? std::move(*conn) : nullptr;
  }
  int64_t Scalar(const char* sql) { return pg::QueryScalar(url_, sql); }
  static CreateUploadResult Upload(Store& store, int64_t now_ms,
                                   JobStatus status = JobStatus::kUploaded) {
    Document d;
    d.id = NewUuidV4();
    d.user_id = "u";
    d.sha256 = Sha256Hex(d.id);
    Job j;
    j.id = NewUuidV4();
    j.status = status;
    j.correlation_id = NewUuidV4();
    auto r = store.CreateUpload(d, j, now_ms);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : CreateUploadResult{};
  }

  std::string url_;
};

TEST_F(PgStoreTest, OpenStoreAcceptsBothSchemes) {
  ASSERT_TRUE(url_.starts_with("postgresql://"));
  for (const std::string& url :
       {url_, "postgres://" + url_.substr(std::string("postgresql://").size())}) {
    auto store = OpenStore(url);
    ASSERT_TRUE(store.ok()) << url << ": " << store.status().ToString();
    EXPECT_TRUE((*store)->Migrate().ok());
    EXPECT_TRUE((*store)->Ping().ok());
  }
}

TEST_F(PgStoreTest, UnreachableServerIsUnavailable) {
  auto store = OpenStore("postgresql://nobody@/db?host=/nonexistent-dir&connect_timeout=2");
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().kind(), Kind::kUnavailable);
  EXPECT_EQ(store.status().code(), "DB_UNAVAILABLE");
  EXPECT_TRUE(store.status().retryable());
}

TEST_F(PgStoreTest, ProcessesMigratingAtOnceApplyEachMigrationOnce) {
  constexpr int kProcesses = 4;
  int go[2];
  ASSERT_EQ(pipe(go), 0);
  std::vector<pid_t> children;
  for (int p = 0; p < kProcesses; ++p) {
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {  // child: its own store, like a server starting at the same moment
      close(go[1]);
      auto store = OpenStore(url_);
      char b;
      if (read(go[0], &b, 1) < 0) _exit(3);  // released together: EOF when the parent closes
      _exit(store.ok() && (*store)->Migrate().ok() ? 0 : 1);
    }
    children.push_back(pid);
  }
  close(go[0]);
  std::this_thread::sleep_for(200ms);  // let every child connect first
  close(go[1]);
  for (pid_t pid : children) {
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  }
  EXPECT_EQ(Scalar("SELECT count(*) FROM schema_migrations"),
            static_cast<int64_t>(pg::Migrations().size()));
  EXPECT_EQ(Scalar("SELECT max(version) FROM schema_migrations"), pg::Migrations().back().version);
  auto store = Open();
  EXPECT_TRUE(store->ClaimNext("w", 0, 1000).ok());  // the schema is usable
}

TEST_F(PgStoreTest, ClaimQueryUsesOnePartialIndexPerBranch) {
  auto store = Open();
  for (int i = 0; i < 20; ++i) Upload(*store, 1000 + i);
  auto conn = Raw();
  ASSERT_TRUE(conn->Exec("SET enable_seqscan = off").ok());
  const std::string explain = std::string("EXPLAIN ") + pg::sql::kClaimNext;
  PGresult* res =
      PQexecParams(conn->raw(), explain.c_str(), 3, nullptr,
                   std::vector<const char*>{"w", "5000", "1000"}.data(), nullptr, nullptr, 0);
  ASSERT_EQ(PQresultStatus(res), PGRES_TUPLES_OK) << PQerrorMessage(conn->raw());
  std::string plan;
  for (int i = 0; i < PQntuples(res); ++i) plan += std::string(PQgetvalue(res, i, 0)) + "\n";
  PQclear(res);
  for (const char* index : {"jobs_claim_queued", "jobs_claim_retryable", "jobs_claim_leased"}) {
    EXPECT_NE(plan.find(index), std::string::npos) << index << " unused:\n" << plan;
  }
  EXPECT_NE(plan.find("LockRows"), std::string::npos) << plan;
}

TEST_F(PgStoreTest, RunnableJobsWakeSubscribersOfOtherHandles) {
  auto listener = Open();
  auto writer = Open();
  std::atomic<int> calls{0};
  auto sub = listener->SubscribeJobQueued([&] { ++calls; });
  ASSERT_NE(sub, nullptr);
  auto wait_for_call = [&](int above) {
    for (auto until = std::chrono::steady_clock::now() + 5s;
         calls.load() <= above && std::chrono::steady_clock::now() < until;) {
      std::this_thread::sleep_for(5ms);
    }
    return calls.load() > above;
  };
  ASSERT_TRUE(wait_for_call(0));  // the call after connecting (it may have missed some)
  std::this_thread::sleep_for(100ms);

  int before = calls.load();
  Upload(*writer, 1000, JobStatus::kAwaitingUpload);  // not runnable: no wake-up
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(calls.load(), before);

  CreateUploadResult up = Upload(*writer, 1001);
  EXPECT_TRUE(wait_for_call(before));
  before = calls.load();
  auto job = writer->ClaimNext("w1", 2000, 60'000);
  ASSERT_TRUE(job.ok() && job->has_value());
  ASSERT_TRUE(writer->ReleaseClaim((*job)->id, "w1", 2001).ok());
  EXPECT_TRUE(wait_for_call(before));

  sub.reset();  // no calls after the handle is gone
  before = calls.load();
  Upload(*writer, 1002);
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(calls.load(), before);
}

TEST_F(PgStoreTest, TransactionsRetrySerializationFailuresThenGiveUp) {
  pg::PgPool pool(url_, {});
  int attempts = 0;
  Status s = pool.Transaction([&](pg::PgConn& c) -> Status {
    if (++attempts < 3) {
      return c.Exec("DO $$ BEGIN RAISE EXCEPTION USING ERRCODE = 'serialization_failure'; END $$");
    }
    return c.Exec("CREATE TABLE retried (x int)");
  });
  EXPECT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(attempts, 3);
  EXPECT_EQ(Scalar("SELECT count(*) FROM pg_tables WHERE tablename = 'retried'"), 1);

  attempts = 0;
  s = pool.Transaction([&](pg::PgConn& c) -> Status {
    ++attempts;
    return c.Exec("DO $$ BEGIN RAISE EXCEPTION USING ERRCODE = 'deadlock_detected'; END $$");
  });
  EXPECT_EQ(attempts, pg::PgPoolOptions().max_txn_attempts);
  EXPECT_EQ(s.code(), "DB_BUSY");
  EXPECT_TRUE(s.retryable());

  attempts = 0;  // other failures are not retried
  s = pool.Transaction([&](pg::PgConn& c) -> Status {
    ++attempts;
    return c.Exec("SELECT no_such_column FROM pg_class");
  });
  EXPECT_EQ(attempts, 1);
  EXPECT_EQ(s.code(), "DB_ERROR");
}

TEST_F(PgStoreTest, ConnectionsKilledByTheServerAreReplaced) {
  auto store = Open();
  CreateUploadResult up = Upload(*store, 1000);
  auto admin = Raw();
  ASSERT_TRUE(admin
                  ->Exec("SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                         " WHERE datname = current_database() AND pid <> pg_backend_pid()")
                  .ok());
  std::this_thread::sleep_for(100ms);
  EXPECT_TRUE(store->GetJobUnscoped(up.job.id).ok());  // a read on a fresh connection
  Upload(*store, 1001);                                // and a transaction
  auto claimed = store->ClaimNext("w", 5000, 1000);
  ASSERT_TRUE(claimed.ok());
  EXPECT_TRUE(claimed->has_value());
}

TEST_F(PgStoreTest, StageCommitsRacingDeletesNeverDeadlock) {
  constexpr int kDocs = 24;
  auto store = Open();
  std::vector<CreateUploadResult> ups;
  for (int i = 0; i < kDocs; ++i) ups.push_back(Upload(*store, 1000 + i));
  std::vector<Job> jobs;
  for (int i = 0; i < kDocs; ++i) jobs.push_back(**store->ClaimNext("w", 5000, 600'000));
  std::atomic<int> unexpected{0};
  auto committer = std::thread([&] {
    for (const Job& job : jobs) {
      StageCommit c;
      c.job_id = job.id;
      c.worker_id = "w";
      c.to = JobStatus::kEmbeddingsStored;
      c.next_state = QueueState::kWorking;
      c.page_count = 3;
      c.chunks = std::vector<Chunk>();
      for (int k = 0; k < 4; ++k) {
        Chunk ch;
        ch.id = NewUuidV4();
        ch.ord = k;
        ch.text = "t";
        c.chunks->push_back(ch);
        c.vectors.push_back(VectorRecord{ch.id, "", "m", {1, 2}});
      }
      c.events = {Event{0, "", "", "stage_done", "X", "embed", {}, 5001}};
      c.now_ms = 5001;
      Status s = store->CommitStage(c);
      if (!s.ok() && s.code() != "LEASE_LOST") ++unexpected;
    }
  });
  auto deleter = std::thread([&] {
    for (int i = kDocs - 1; i >= 0; --i) {
      auto r = store->DeleteDocument("u", ups[i].document.id);
      if (!r.ok()) ++unexpected;
    }
  });
  committer.join();
  deleter.join();
  EXPECT_EQ(unexpected.load(), 0);
  EXPECT_EQ(Scalar("SELECT count(*) FROM documents"), 0);
  EXPECT_EQ(Scalar("SELECT count(*) FROM chunks"), 0);
  EXPECT_EQ(Scalar("SELECT count(*) FROM vectors"), 0);
}

}  // namespace
}  // namespace ingestd
