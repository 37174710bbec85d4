// Many processes on one PostgreSQL database: `ingestd worker` and `ingestd serve
// --no-workers` processes sharing the store and the blobs, one worker SIGKILLed mid-run,
// and processes starting (and migrating) at the same moment.
//
// Each test gets a fresh database on the throw-away cluster of the pg_cluster CTest fixture
// and inspects it directly over libpq after the run.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <future>
#include <latch>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "core/crypto.h"
#include "db/pg_conn.h"
#include "db/pg_test_support.h"
#include "harness/test_support.h"

namespace ingestd::itest {
namespace {

using namespace std::chrono_literals;

constexpr char kWorkerReady[] = "ingestd worker started";

// A small valid PDF with `pages` pages; salt makes its bytes (and sha256) unique.
std::string SmallPdf(int pages, const std::string& salt) {
  std::string pdf = "%PDF-1.4\n1 0 obj << /Type /Pages >> endobj\n";
  for (int i = 0; i < pages; ++i) pdf += "<< /Type /Page /Parent 1 0 R >>\n";
  return pdf + "% " + salt + "\n%%EOF\n";
}

class MultiProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (ServerProcess::BinaryPath().empty()) GTEST_SKIP() << "no ingestd binary in this build";
    url_ = pg::CreateTestDatabase();
    ASSERT_FALSE(url_.empty());
  }
  void TearDown() override {
    for (auto& p : procs_) {
      if (HasFailure() && p->running()) std::fprintf(stderr, "%s\n", p->StderrTail(2000).c_str());
    }
    procs_.clear();  // stops them before the database goes
    if (!url_.empty()) pg::DropTestDatabase(url_);
  }

  // An `ingestd serve --no-workers` (api) or `ingestd worker` process on the shared database.
  ServerProcess* AddProcess(bool api, std::map<std::string, std::string> env = {}) {
    env.emplace("DATABASE_URL", url_);
    env.emplace("INGESTD_BLOB_URL", url_);  // blobs in PostgreSQL too
    env.emplace("INGESTD_UPLOAD_SECRET", "multiprocess-upload-secret-0123456789");
    env.emplace("INGESTD_LOG_LEVEL", "warn");
    procs_.push_back(std::make_unique<ServerProcess>(env));
    ServerProcess* p = procs_.back().get();
    if (api) {
      p->SetCommand({"serve", "--no-workers"});
    } else {
      p->SetCommand({"worker"}, kWorkerReady);
    }
    return p;
  }

  std::unique_ptr<pg::PgConn> Db() {
    auto conn = pg::PgConn::Connect(url_);
    EXPECT_TRUE(conn.ok());
    return conn.ok() ? std::move(*conn) : nullptr;
  }
  int64_t Scalar(pg::PgConn& db, const char* sql) {
    auto r = db.Query(sql, {});
    EXPECT_TRUE(r.ok()) << sql;
    return r.ok() && r->rows() > 0 ? r->Int(0, 0) : -1;
  }

  std::string url_;
  std::vector<std::unique_ptr<ServerProcess>> procs_;
};

TEST_F(MultiProcessTest, ThreeWorkersTwoApisIngestEveryDocumentExactlyOnceDespiteAKill) {
  constexpr int kDocs = 200;
  constexpr int kApis = 2;
  // Short leases so the killed worker's jobs come back within seconds.
  const std::map<std::string, std::string> worker_env = {
      {"INGESTD_WORKERS", "2"},
      {"INGESTD_LEASE_MS", "2000"},
      {"INGESTD_MOCK_PARSE_FAULTS", "latency:10"}};
  std::map<std::string, std::string> victim_env = worker_env;
  victim_env["INGESTD_MOCK_PARSE_FAULTS"] = "latency:300";  // almost always mid-stage
  std::vector<ServerProcess*> apis;
  for (int i = 0; i < kApis; ++i) apis.push_back(AddProcess(true));
  for (ServerProcess* p : apis) ASSERT_EQ(p->Start(), "");
  ServerProcess* victim = AddProcess(false, victim_env);
  ASSERT_EQ(victim->Start(), "");
  for (int i = 0; i < 2; ++i) ASSERT_EQ(AddProcess(false, worker_env)->Start(), "");

  // One upload client per API process, documents alternating between them.
  const std::string token = MakeToken("mp-user");
  std::atomic<int> rejected{0};
  std::vector<std::thread> clients;
  for (int a = 0; a < kApis; ++a) {
    clients.emplace_back([&, a] {
      HttpClient client(apis[a]->base_url());
      for (int i = a; i < kDocs; i += kApis) {
        HttpResponse r = UploadOneShot(client, token, "doc.pdf",
                                       SmallPdf(1 + i % 4, "doc-" + std::to_string(i)));
        if (r.status != 202) ++rejected;
      }
    });
  }
  for (auto& t : clients) t.join();
  ASSERT_EQ(rejected.load(), 0);

  auto db = Db();
  ASSERT_NE(db, nullptr);
  auto done = [&] { return Scalar(*db, "SELECT count(*) FROM jobs WHERE state = 'done'"); };
  const auto deadline = std::chrono::steady_clock::now() + 90s;
  while (done() < kDocs / 5 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(20ms);
  }
  ASSERT_LT(done(), kDocs) << "the run ended before the kill";
  victim->Kill();
  while (done() < kDocs && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(50ms);
  }

  // None lost: every job complete.
  EXPECT_EQ(Scalar(*db, "SELECT count(*) FROM documents"), kDocs);
  EXPECT_EQ(Scalar(*db, "SELECT count(*) FROM jobs WHERE state = 'done' AND status = 'complete'"),
            kDocs);
  // None done twice: every stage's result event exactly once per job…
  EXPECT_EQ(Scalar(*db,
                   "SELECT count(*) FROM (SELECT job_id, code FROM events WHERE code IN"
                   " ('PARSE_STORED','PARSE_VALIDATED','CHUNKS_STORED','EMBEDDINGS_STORED',"
                   "'JOB_COMPLETED') GROUP BY job_id, code HAVING count(*) <> 1) twice"),
            0);
  EXPECT_EQ(Scalar(*db, "SELECT count(DISTINCT job_id) FROM events WHERE code = 'JOB_COMPLETED'"),
            kDocs);
  // …every document's chunks numbered 0..n-1 once, and one vector per chunk.
  EXPECT_EQ(Scalar(*db,
                   "SELECT count(*) FROM documents d WHERE NOT EXISTS (SELECT 1 FROM chunks c"
                   " WHERE c.document_id = d.id) OR (SELECT count(*) FROM chunks c WHERE"
                   " c.document_id = d.id) <> (SELECT max(ord) + 1 FROM chunks c WHERE"
                   " c.document_id = d.id)"),
            0);
  EXPECT_EQ(Scalar(*db,
                   "SELECT count(*) FROM chunks c WHERE (SELECT count(*) FROM vectors v"
                   " WHERE v.chunk_id = c.id) <> 1"),
            0);
  EXPECT_EQ(Scalar(*db, "SELECT count(*) FROM vectors"),
            Scalar(*db, "SELECT count(*) FROM chunks"));
  // The kill did interrupt work: some stage was started twice (taken over after the lease).
  EXPECT_GE(Scalar(*db,
                   "SELECT count(*) FROM (SELECT job_id, code FROM events WHERE code LIKE"
                   " '%\\_STARTED' GROUP BY job_id, code HAVING count(*) > 1) again"),
            1);
  // Every document's bytes and markdown are in the shared blob store.
  EXPECT_EQ(Scalar(*db, "SELECT count(*) FROM blobs WHERE key LIKE 'documents/%'"), kDocs);
  EXPECT_EQ(Scalar(*db, "SELECT count(*) FROM blobs WHERE key LIKE 'markdown/%'"), kDocs);
}

TEST_F(MultiProcessTest, ProcessesStartingAtOnceMigrateOnceAndShareADirectory) {
  // Blobs in one directory every process sees (the other multi-machine option).
  const std::string shared =
      std::filesystem::temp_directory_path().string() + "/ingestd-mp-" + HexEncode(RandomBytes(6));
  std::filesystem::create_directories(shared);
  std::vector<ServerProcess*> ps = {
      AddProcess(true, {{"INGESTD_BLOB_URL", shared}}),
      AddProcess(true, {{"INGESTD_BLOB_URL", shared}}),
      AddProcess(false, {{"INGESTD_BLOB_URL", shared}, {"INGESTD_WORKERS", "1"}})};
  std::vector<std::string> errors(ps.size());
  // The servers die with the thread that started them (PR_SET_PDEATHSIG follows the thread,
  // not the process), so each starter thread stays alive until the test is over.
  std::latch started(static_cast<std::ptrdiff_t>(ps.size()));
  std::promise<void> test_over;
  std::shared_future<void> over = test_over.get_future().share();
  std::vector<std::thread> starters;
  for (size_t i = 0; i < ps.size(); ++i) {
    starters.emplace_back([&, i, over] {
      errors[i] = ps[i]->Start();
      started.count_down();
      over.wait();
    });
  }
  struct Release {
    std::promise<void>& over;
    std::vector<std::thread>& threads;
    ~Release() {
      over.set_value();
      for (auto& t : threads) t.join();
    }
  } release{test_over, starters};
  started.wait();
  for (const std::string& e : errors) EXPECT_EQ(e, "");
  auto db = Db();
  // Every version 1..n recorded exactly once.
  const int64_t versions = Scalar(*db, "SELECT max(version) FROM schema_migrations");
  EXPECT_GE(versions, 2);
  EXPECT_EQ(Scalar(*db, "SELECT count(*) FROM schema_migrations"), versions);
  EXPECT_EQ(Scalar(*db, "SELECT count(DISTINCT version) FROM schema_migrations"), versions);

  // Uploaded through one API process, processed by the worker, read through the other.
  const std::string token = MakeToken("mp-user");
  HttpClient first(ps[0]->base_url()), second(ps[1]->base_url());
  HttpResponse r = UploadOneShot(first, token, "x.pdf", SmallPdf(2, "shared-dir"));
  ASSERT_EQ(r.status, 202) << r.Describe();
  WaitResult w = WaitForJob(second, token, r.Json()["job_id"], IsComplete, 30000);
  EXPECT_TRUE(w.met) << w.view.dump();
  EXPECT_FALSE(ListFiles(shared + "/documents").empty());
  EXPECT_FALSE(ListFiles(shared + "/markdown").empty());
  procs_.clear();
  std::filesystem::remove_all(shared);
}

}  // namespace
}  // namespace ingestd::itest
