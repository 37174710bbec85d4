// Many processes on one PostgreSQL database: `ingestd worker` and `ingestd serve
// --no-workers` processes sharing the store and the blobs, one worker SIGKILLed mid-run,
// processes starting (and migrating) at the same moment, and search across two API servers.
//
// Each test gets a fresh database on the throw-away cluster of the pg_cluster CTest fixture
// and inspects it directly over libpq after the run.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <ctime>
#include <filesystem>
#include <future>
#include <latch>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "core/crypto.h"
#include "core/jwt.h"
#include "db/pg_conn.h"
#include "db/pg_test_support.h"
#include "harness/test_support.h"

namespace ingestd::itest {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr char kWorkerReady[] = "ingestd worker started";
// The guarantee: every server can search a completed document within 1 s.
constexpr auto kFreshness = 1000ms;

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

// Search across processes (issue 13 §2): two API servers (`serve --no-workers`, each with
// its own in-memory index over the store's vector change feed) and a worker, parsing and
// embedding locally. A document uploaded through the first is found by the second as soon as
// its job is complete, in every mode, and no longer after a DELETE through the first; the
// second's background catch-up, woken by LISTEN/NOTIFY, keeps its index current within 1 s
// of the completion without any search (its periodic catch-up is an hour, so only the
// notification can explain it).
class SearchAcrossServersTest : public MultiProcessTest {
 protected:
  // The two API servers' clients and the worker, started; catchup_ms for the second.
  void StartAll(const std::string& second_catchup_ms = "500") {
    const std::map<std::string, std::string> local = {{"PARSE_MODE", "local"},
                                                      {"EMBED_MODE", "local"}};
    std::map<std::string, std::string> second_env = local;
    second_env["INGESTD_SEARCH_CATCHUP_MS"] = second_catchup_ms;
    ServerProcess* a = AddProcess(true, local);
    ServerProcess* b = AddProcess(true, second_env);
    ServerProcess* w = AddProcess(false, local);
    for (ServerProcess* p : {a, b, w}) ASSERT_EQ(p->Start(), "");
    first_ = std::make_unique<HttpClient>(a->base_url());
    second_ = std::make_unique<HttpClient>(b->base_url());
  }

  // Uploads a distinct copy of R-FAQ through the first server and waits until its job
  // completes; the document id, and the moment the completion was seen.
  std::pair<std::string, Clock::time_point> Ingest(const std::string& tag) {
    HttpResponse r = UploadOneShot(*first_, token_, "R-FAQ.pdf", TaggedPdf(kRFaqPdf, tag));
    EXPECT_EQ(r.status, 202) << r.Describe();
    WaitResult done = WaitForJob(*first_, token_, r.Json().value("job_id", ""), IsComplete, 120000);
    EXPECT_TRUE(done.met) << done.view.dump();
    return {r.Json().value("document_id", ""), Clock::now()};
  }

  json Chunks(const std::string& doc_id) {
    HttpResponse r = first_->Get("/api/v1/documents/" + doc_id + "/chunks?limit=500", token_);
    EXPECT_EQ(r.status, 200) << r.Describe();
    return r.Json().value("chunks", json::array());
  }

  void Delete(const std::string& doc_id) {
    HttpResponse del = first_->Delete("/api/v1/documents/" + doc_id, token_);
    ASSERT_EQ(del.status, 204) << del.Describe();
  }

  json Answer(const json& body) {
    HttpResponse r = second_->Send({.method = "POST",
                                    .target = "/api/v1/search",
                                    .headers = {{"Content-Type", "application/json"}},
                                    .bearer = token_,
                                    .body = body.dump()});
    EXPECT_EQ(r.status, 200) << body.dump() << ": " << r.Describe();
    json answer = r.Json();
    EXPECT_TRUE(answer.is_object() && answer["results"].is_array()) << r.body;
    return answer;
  }

  // The vectors in the second server's index (GET /api/v1/search/index).
  int64_t IndexedVectors() {
    HttpResponse r = second_->Get("/api/v1/search/index", admin_);
    EXPECT_EQ(r.status, 200) << r.Describe();
    return r.Json().value("vectors", int64_t{-1});
  }

  // Polls the second server's index report until it holds `want` vectors or
  // since + kFreshness passes; how long after `since` it got there (nullopt: it did not).
  std::optional<std::chrono::milliseconds> IndexReaches(int64_t want, Clock::time_point since) {
    for (;;) {
      const int64_t have = IndexedVectors();
      const auto now = Clock::now();
      if (have == want) return std::chrono::duration_cast<std::chrono::milliseconds>(now - since);
      if (now >= since + kFreshness) return std::nullopt;
      std::this_thread::sleep_for(5ms);
    }
  }

  static std::set<std::string> DocumentsOf(const json& answer) {
    std::set<std::string> out;
    for (const json& hit : answer["results"]) out.insert(hit.value("document_id", ""));
    return out;
  }

  std::unique_ptr<HttpClient> first_, second_;
  const std::string token_ = MakeToken("alice");
  const std::string admin_ =
      SignJwt({.sub = "root", .role = "admin", .exp = std::time(nullptr) + 3600}, kTestJwtSecret);
};

TEST_F(SearchAcrossServersTest, TheOtherServerFindsACompletedDocumentAndForgetsADeletedOne) {
  StartAll();
  const auto [doc, completed] = Ingest("mp-search");
  const json chunks = Chunks(doc);
  ASSERT_GT(chunks.size(), 3u);
  const json& target = chunks[chunks.size() / 2];
  const std::string text = target.value("text", "");

  // At once, with no wait: the search catches up before it runs.
  const json vector = Answer({{"query", text}, {"mode", "vector"}, {"top_k", 5}});
  ASSERT_FALSE(vector["results"].empty()) << vector.dump();
  EXPECT_EQ(vector["results"][0]["chunk_id"], target["chunk_id"]);
  EXPECT_NEAR(vector["results"][0]["score"].get<double>(), 1.0, 1e-4);  // its own text
  EXPECT_EQ(vector["vector_pending_documents"], 0);
  const json keyword = Answer({{"query", text}, {"mode", "keyword"}, {"top_k", 100}});
  EXPECT_EQ(DocumentsOf(keyword), std::set<std::string>{doc}) << keyword.dump();
  // Fused with ts_rank_cd's keyword ranks (PostgreSQL), the target need not come first, but it
  // is there with both sides' ranks.
  const json hybrid = Answer({{"query", text}, {"top_k", 5}});
  const json* fused = nullptr;
  for (const json& hit : hybrid["results"]) {
    if (hit["chunk_id"] == target["chunk_id"]) fused = &hit;
  }
  ASSERT_NE(fused, nullptr) << hybrid.dump();
  EXPECT_EQ((*fused)["rank"]["vector"], 1);
  EXPECT_FALSE((*fused)["rank"]["keyword"].is_null()) << fused->dump();

  Delete(doc);
  for (const char* mode : {"hybrid", "vector", "keyword"}) {
    const json after = Answer({{"query", text}, {"mode", mode}, {"top_k", 100}});
    EXPECT_TRUE(after["results"].empty()) << mode << ": " << after.dump();
  }
}

TEST_F(SearchAcrossServersTest, TheOtherServersIndexIsCurrentWithinASecondWithoutASearch) {
  // Only LISTEN/NOTIFY can bring the changes in within the test: the periodic catch-up is an
  // hour, and nobody searches on the second server.
  StartAll("3600000");
  EXPECT_EQ(IndexedVectors(), 0);
  const auto [doc, completed] = Ingest("mp-notify");
  const int64_t want = static_cast<int64_t>(Chunks(doc).size());
  ASSERT_GT(want, 0);
  // The deadline runs from the moment the completion was seen, as the guarantee reads.
  auto took = IndexReaches(want, completed);
  ASSERT_TRUE(took.has_value()) << "the second server holds " << IndexedVectors() << " of " << want
                                << " vectors 1 s after the job completed";
  std::printf("second server's index current %lld ms after the completion was seen\n",
              static_cast<long long>(took->count()));

  Delete(doc);
  took = IndexReaches(0, Clock::now());
  EXPECT_TRUE(took.has_value()) << "the deleted document's vectors are still in the index 1 s "
                                   "after the DELETE answered";
}

}  // namespace
}  // namespace ingestd::itest
