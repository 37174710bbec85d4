// Runs the Store conformance suite against PostgreSQL, plus checks specific to this
// backend: URL forms, concurrent migrations from many processes, the claim plan, NOTIFY
// wake-ups, transaction retries and lock order under contention.
#include "store/postgres/pg_store.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <set>
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
INSTANTIATE_TEST_SUITE_P(Postgres, StoreRetrievalTest, ::testing::Values(PostgresBackend()),
                         StoreBackendName);
INSTANTIATE_TEST_SUITE_P(Postgres, StoreCallbackTest, ::testing::Values(PostgresBackend()),
                         StoreBackendName);
INSTANTIATE_TEST_SUITE_P(Postgres, StoreEmbedCacheTest, ::testing::Values(PostgresBackend()),
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

// Uploads a document of user "u", then claims a job and completes it with one chunk per text
// and an "m" vector on each. With several callers at once, the job claimed may be another
// caller's upload: each upload is then completed by someone. Returns the chunks stored.
std::vector<Chunk> StoreTexts(Store& store, const std::vector<std::string>& texts, int64_t now_ms) {
  Document d;
  d.id = NewUuidV4();
  d.user_id = "u";
  d.filename = "f.pdf";
  d.sha256 = Sha256Hex(d.id);
  Job j;
  j.id = NewUuidV4();
  j.status = JobStatus::kUploaded;
  j.correlation_id = NewUuidV4();
  EXPECT_TRUE(store.CreateUpload(d, j, now_ms).ok());
  const std::string worker = "w-" + j.id;
  auto claimed = store.ClaimNext(worker, now_ms, 600'000);
  EXPECT_TRUE(claimed.ok() && claimed->has_value());
  if (!claimed.ok() || !claimed->has_value()) return {};
  StageCommit c;
  c.job_id = (*claimed)->id;
  c.worker_id = worker;
  c.to = JobStatus::kComplete;
  c.next_state = QueueState::kDone;
  c.chunks = std::vector<Chunk>();
  for (size_t i = 0; i < texts.size(); ++i) {
    Chunk ch;
    ch.id = NewUuidV4();
    ch.document_id = (*claimed)->document_id;
    ch.ord = static_cast<int>(i);
    ch.text = texts[i];
    c.chunks->push_back(ch);
    c.vectors.push_back(VectorRecord{ch.id, ch.document_id, "m", {1, 2}});
  }
  c.now_ms = now_ms;
  Status s = store.CommitStage(c);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return *c.chunks;
}

TEST_F(PgStoreTest, AWriterThatCommitsLateNeverHasItsSeqSkipped) {
  auto store = Open();
  const std::vector<Chunk> first = StoreTexts(*store, {"first"}, 1000);
  // Transaction A takes a seq (re-stores a vector in place) and stays open.
  auto a = Raw();
  ASSERT_TRUE(a->Exec("BEGIN").ok());
  const std::string touch = "UPDATE vectors SET dims = dims WHERE chunk_id = '" + first[0].id + "'";
  ASSERT_TRUE(a->Exec(touch.c_str()).ok());
  // Writer B, a later stage commit, must wait for A: were it to commit first with a larger
  // seq, a reader paging past B would never see A's row.
  std::vector<Chunk> second;
  std::thread b([&] { second = StoreTexts(*store, {"second"}, 2000); });
  bool waited = false;
  for (auto until = std::chrono::steady_clock::now() + 20s;
       !waited && std::chrono::steady_clock::now() < until;) {
    waited =
        Scalar("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted") > 0;
    if (!waited) std::this_thread::sleep_for(5ms);
  }
  EXPECT_TRUE(waited) << "B took a seq while A's was uncommitted";
  ASSERT_TRUE(a->Exec("COMMIT").ok());
  b.join();
  ASSERT_EQ(second.size(), 1u);
  auto changes = store->ListVectorChanges(0, 100);
  ASSERT_TRUE(changes.ok()) << changes.status().ToString();
  ASSERT_EQ(changes->size(), 2u);
  EXPECT_EQ((*changes)[0].chunk_id, first[0].id);  // A's new seq comes before B's
  EXPECT_EQ((*changes)[1].chunk_id, second[0].id);
}

TEST_F(PgStoreTest, ConcurrentCommitsAreSeenByAPagingReaderExactlyOnce) {
  auto store = Open();
  constexpr int kWriters = 4, kDocsEach = 6;
  std::atomic<int> done{0};
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      for (int i = 0; i < kDocsEach; ++i) StoreTexts(*store, {"a", "b", "c"}, 1000 + w * 100 + i);
      ++done;
    });
  }
  // The reader pages with its cursor while the writers commit, then once after them.
  std::vector<int64_t> seen;
  int64_t cursor = 0;
  for (bool last = false; !last;) {
    last = done.load() == kWriters;
    for (;;) {
      auto page = store->ListVectorChanges(cursor, 5);
      ASSERT_TRUE(page.ok()) << page.status().ToString();
      if (page->empty()) break;
      for (const VectorChange& v : *page) seen.push_back(v.seq);
      cursor = page->back().seq;
    }
  }
  for (std::thread& t : writers) t.join();
  std::vector<int64_t> all;
  const std::vector<VectorChange> listed = store->ListVectorChanges(0, 1000).value();
  for (const VectorChange& v : listed) all.push_back(v.seq);
  EXPECT_EQ(all.size(), static_cast<size_t>(kWriters * kDocsEach * 3));
  EXPECT_EQ(seen, all);
}

TEST_F(PgStoreTest, VectorCommitsWakeSubscribersOfOtherHandles) {
  auto listener = Open();
  auto writer = Open();
  std::atomic<int> calls{0};
  auto sub = listener->SubscribeVectorChanges([&] { ++calls; });
  ASSERT_NE(sub, nullptr);
  auto wait_for_call = [&](int above) {
    for (auto until = std::chrono::steady_clock::now() + 5s;
         calls.load() <= above && std::chrono::steady_clock::now() < until;) {
      std::this_thread::sleep_for(5ms);
    }
    return calls.load() > above;
  };
  ASSERT_TRUE(wait_for_call(0));  // the call after connecting
  int before = calls.load();
  const std::vector<Chunk> chunks = StoreTexts(*writer, {"x"}, 1000);
  EXPECT_TRUE(wait_for_call(before));
  before = calls.load();
  ASSERT_TRUE(writer->DeleteDocument("u", chunks[0].document_id).ok());
  EXPECT_TRUE(wait_for_call(before));
}

TEST_F(PgStoreTest, RetrievalReadsUseTheirIndexes) {
  auto store = Open();
  auto conn = Raw();
  ASSERT_TRUE(conn->Exec("SET enable_seqscan = off").ok());
  auto plan_of = [&](const char* sql, std::vector<const char*> params) {
    const std::string explain = std::string("EXPLAIN ") + sql;
    PGresult* res = PQexecParams(conn->raw(), explain.c_str(), static_cast<int>(params.size()),
                                 nullptr, params.data(), nullptr, nullptr, 0);
    EXPECT_EQ(PQresultStatus(res), PGRES_TUPLES_OK) << PQerrorMessage(conn->raw());
    std::string plan;
    for (int i = 0; i < PQntuples(res); ++i) plan += std::string(PQgetvalue(res, i, 0)) + "\n";
    PQclear(res);
    return plan;
  };
  const std::string search =
      plan_of(pg::sql::kKeywordSearch, {"u", "[\"cafe\"]", nullptr, "", nullptr, nullptr, "10"});
  EXPECT_NE(search.find("chunks_tsv"), std::string::npos) << search;
  const std::string chunks = plan_of(pg::sql::kListChunkChanges, {"u", "0", "10"});
  EXPECT_NE(chunks.find("chunks_by_user_seq"), std::string::npos) << chunks;
  const std::string vectors = plan_of(pg::sql::kListVectorChanges, {"0", "10"});
  EXPECT_NE(vectors.find("vectors_by_seq"), std::string::npos) << vectors;
}

TEST_F(PgStoreTest, RetrievalMigrationIndexesAndSequencesExistingRows) {
  auto raw = Raw();
  ASSERT_TRUE(raw->Exec("CREATE TABLE schema_migrations (version integer PRIMARY KEY,"
                        " name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())")
                  .ok());
  for (const pg::Migration& m : pg::Migrations()) {
    if (m.version >= 6) break;
    ASSERT_TRUE(raw->Exec(m.sql).ok()) << m.name;
    const std::string record = "INSERT INTO schema_migrations (version, name) VALUES (" +
                               std::to_string(m.version) + ", '" + m.name + "')";
    ASSERT_TRUE(raw->Exec(record.c_str()).ok());
  }
  ASSERT_TRUE(raw->Exec("INSERT INTO documents (id, user_id, filename, mime, size_bytes, sha256,"
                        " created_at) VALUES ('d1', 'u1', 'old.pdf', 'application/pdf', 1, 'h', 5);"
                        "INSERT INTO chunks (id, document_id, ord, text, token_count, char_start,"
                        " char_end) VALUES ('c0', 'd1', 0, 'un café ancien', 3, 0, 10),"
                        " ('c1', 'd1', 1, 'autre', 1, 10, 15);"
                        "INSERT INTO vectors (chunk_id, model, document_id, dims, data) VALUES"
                        " ('c0', 'm', 'd1', 1, '\\x0000803f'), ('c1', 'm', 'd1', 1, '\\x00000040')")
                  .ok());
  auto store = Open();
  auto hits = store->KeywordSearch("u1", "cafe", {}, 10);
  ASSERT_TRUE(hits.ok()) << hits.status().ToString();
  ASSERT_EQ(hits->size(), 1u);
  EXPECT_EQ((*hits)[0].chunk_id, "c0");
  auto chunks = store->ListChunkChanges("u1", 0, 10);
  ASSERT_TRUE(chunks.ok()) << chunks.status().ToString();
  auto vectors = store->ListVectorChanges(0, 10);
  ASSERT_TRUE(vectors.ok()) << vectors.status().ToString();
  ASSERT_EQ(chunks->size(), 2u);
  ASSERT_EQ(vectors->size(), 2u);
  EXPECT_EQ((*vectors)[0].values, std::vector<float>{1.0f});
  std::set<int64_t> seqs;
  for (const ChunkChange& c : *chunks) seqs.insert(c.seq);
  for (const VectorChange& v : *vectors) seqs.insert(v.seq);
  EXPECT_EQ(seqs.size(), 4u);
  ASSERT_TRUE(store->DeleteDocument("u1", "d1").ok());
  auto after = store->ListVectorChanges(*seqs.rbegin(), 10);
  ASSERT_TRUE(after.ok());
  ASSERT_EQ(after->size(), 2u);
  EXPECT_TRUE((*after)[0].deleted);
}

}  // namespace
}  // namespace ingestd
