// Upload and search limits held across processes: two `ingestd serve` processes on one
// database (a SQLite file, or a fresh PostgreSQL database on the pg_cluster fixture's
// cluster) and one user's burst of concurrent declares through both. The shared per-minute
// bucket and the active-job cap are never exceeded, and every refusal is a 429 with its code.
// The search budget is one per user across both processes too, and apart from the uploads'.
#include <gtest/gtest.h>

#include <chrono>
#include <latch>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/crypto.h"
#include "db/pg_conn.h"
#include "db/pg_test_support.h"
#include "harness/db_inspector.h"
#include "harness/test_support.h"

namespace ingestd::itest {
namespace {

constexpr int kThreadsPerServer = 6;
constexpr int kUploadsPerThread = 5;
constexpr int kAttempts = 2 * kThreadsPerServer * kUploadsPerThread;

struct BurstResult {
  int accepted = 0;                      // 200, not a duplicate
  std::map<std::string, int> codes;      // error code → count, for every other answer
  std::vector<std::string> retry_after;  // of each 429
  int64_t elapsed_ms = 0;                // from the start signal to the last answer
};

// kThreadsPerServer clients per server, connected first, then all declaring
// kUploadsPerThread uploads of distinct bytes at once.
BurstResult DeclareBurst(const std::vector<std::string>& base_urls, const std::string& token) {
  const int threads = static_cast<int>(base_urls.size()) * kThreadsPerServer;
  std::latch ready(threads + 1);
  std::mutex mu;
  BurstResult result;
  std::vector<std::thread> clients;
  for (int t = 0; t < threads; ++t) {
    clients.emplace_back([&, t] {
      HttpClient client(base_urls[t % base_urls.size()]);
      client.Get("/health");  // connected before the start signal
      ready.arrive_and_wait();
      for (int i = 0; i < kUploadsPerThread; ++i) {
        std::string bytes = "%PDF-1.4\n% burst " + HexEncode(RandomBytes(8)) + "\n%%EOF\n";
        HttpResponse r = RequestUpload(client, token, "burst.pdf", bytes);
        std::lock_guard lock(mu);
        if (r.status == 200 && r.Json().value("duplicate", true) == false) {
          ++result.accepted;
        } else {
          ++result.codes[r.status == 429 ? r.ErrorCode() : r.Describe()];
          if (r.status == 429) result.retry_after.push_back(r.Header("retry-after"));
        }
      }
    });
  }
  const auto start = std::chrono::steady_clock::now();
  ready.arrive_and_wait();
  for (auto& c : clients) c.join();
  result.elapsed_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::steady_clock::now() - start)
                          .count();
  return result;
}

class UploadLimitsTwoProcessesTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (ServerProcess::BinaryPath().empty()) GTEST_SKIP() << "no ingestd binary in this build";
    if (GetParam() == "postgres") {
      pg_url_ = pg::CreateTestDatabase();
      ASSERT_FALSE(pg_url_.empty());
    }
  }
  void TearDown() override {
    for (auto& s : servers_) {
      if (HasFailure()) std::fprintf(stderr, "%s\n", s->StderrTail(2000).c_str());
    }
    servers_.clear();  // stopped before the database goes
    if (!pg_url_.empty()) pg::DropTestDatabase(pg_url_);
  }

  // Two serve processes on one database with the given limits; their base URLs.
  std::vector<std::string> StartTwo(std::map<std::string, std::string> env) {
    env["INGESTD_WORKERS"] = "0";  // declared uploads stay active: nothing to run
    std::vector<std::string> urls;
    for (int i = 0; i < 2; ++i) {
      if (!pg_url_.empty()) {
        env["DATABASE_URL"] = pg_url_;
      } else if (i == 1) {
        env["DATABASE_URL"] = "sqlite://" + servers_[0]->db_path();
      }
      servers_.push_back(std::make_unique<ServerProcess>(env));
      EXPECT_EQ(servers_.back()->Start(), "");
      urls.push_back(servers_.back()->base_url());
    }
    return urls;
  }

  int64_t JobsOf(const std::string& user) {
    if (pg_url_.empty()) {
      DbInspector db(servers_[0]->db_path());
      EXPECT_TRUE(db.ok()) << db.error();
      return db.Count("jobs", "user_id = ?1", {user});
    }
    auto conn = pg::PgConn::Connect(pg_url_);
    EXPECT_TRUE(conn.ok());
    if (!conn.ok()) return -1;
    static constexpr char kCount[] = "SELECT COUNT(*) FROM jobs WHERE user_id = $1";
    auto r = (*conn)->Query(kCount, pg::PgParams().Add(user));
    EXPECT_TRUE(r.ok());
    return r.ok() ? r->Int(0, 0) : -1;
  }

  std::string pg_url_;
  std::vector<std::unique_ptr<ServerProcess>> servers_;
};

TEST_P(UploadLimitsTwoProcessesTest, TheSharedMinuteBucketIsNeverExceeded) {
  constexpr int kPerMinute = 10;  // a token back every 6 s
  auto urls = StartTwo({{"INGESTD_UPLOADS_PER_MINUTE", std::to_string(kPerMinute)}});
  ASSERT_EQ(urls.size(), 2u);
  BurstResult r = DeclareBurst(urls, MakeToken("carol"));
  EXPECT_GE(r.accepted, kPerMinute);
  EXPECT_LE(r.accepted, kPerMinute + r.elapsed_ms / 6'000) << r.elapsed_ms << " ms";
  EXPECT_EQ(r.codes["UPLOAD_RATE_MINUTE_EXCEEDED"], kAttempts - r.accepted);
  EXPECT_EQ(r.codes.size(), 1u);
  for (const std::string& s : r.retry_after) {
    int seconds = std::atoi(s.c_str());
    EXPECT_TRUE(seconds >= 1 && seconds <= 6) << "Retry-After: " << s;
  }
  EXPECT_EQ(JobsOf("carol"), r.accepted);
}

TEST_P(UploadLimitsTwoProcessesTest, TheActiveJobCapIsExactAcrossProcesses) {
  constexpr int kCap = 7;
  auto urls = StartTwo({{"INGESTD_MAX_ACTIVE_JOBS_PER_USER", std::to_string(kCap)},
                        {"INGESTD_UPLOADS_PER_MINUTE", "1000"}});
  ASSERT_EQ(urls.size(), 2u);
  BurstResult r = DeclareBurst(urls, MakeToken("dave"));
  EXPECT_EQ(r.accepted, kCap);
  EXPECT_EQ(r.codes["ACTIVE_JOBS_LIMIT_EXCEEDED"], kAttempts - kCap);
  EXPECT_EQ(r.codes.size(), 1u);
  for (const std::string& s : r.retry_after) EXPECT_EQ(s, "5");
  EXPECT_EQ(JobsOf("dave"), kCap);
  // The refused uploads gave their tokens back: 1000 - 7 left.
  HttpClient client(urls[1]);
  json u = client.Get("/api/v1/upload/limits", MakeToken("dave")).Json()["user"];
  EXPECT_GE(u["uploads_per_minute"].value("remaining", 0), 1000 - kCap - 1) << u.dump();
  EXPECT_EQ(u["active_jobs"], json({{"count", kCap}, {"limit", kCap}, {"remaining", 0}}));
}

TEST_P(UploadLimitsTwoProcessesTest, OneUsersSearchBudgetIsSharedAndApartFromUploads) {
  constexpr int kSearches = 3;  // a token back every 20 s
  auto urls = StartTwo({{"INGESTD_SEARCHES_PER_MINUTE", std::to_string(kSearches)},
                        {"INGESTD_UPLOADS_PER_MINUTE", "1"}});
  ASSERT_EQ(urls.size(), 2u);
  HttpClient first(urls[0]), second(urls[1]);
  const std::string erin = MakeToken("erin");
  auto search = [&](HttpClient& via, const std::string& token) {
    return via.Send({.method = "POST",
                     .target = "/api/v1/search",
                     .headers = {{"Content-Type", "application/json"}},
                     .bearer = token,
                     .body = R"({"query":"budget"})"});
  };
  // Alternating between the servers, the user gets kSearches in all, not kSearches each.
  for (int i = 0; i < kSearches; ++i) {
    HttpResponse r = search(i % 2 == 0 ? first : second, erin);
    EXPECT_EQ(r.status, 200) << i << ": " << r.Describe();
  }
  for (HttpClient* via : {&first, &second}) {
    HttpResponse r = search(*via, erin);
    EXPECT_EQ(r.status, 429) << r.Describe();
    EXPECT_EQ(r.ErrorCode(), "SEARCH_RATE_MINUTE_EXCEEDED");
    const int seconds = std::atoi(r.Header("retry-after").c_str());
    EXPECT_TRUE(seconds >= 1 && seconds <= 20) << "Retry-After: " << r.Header("retry-after");
    EXPECT_FALSE(r.Json()["error"].value("correlation_id", "").empty()) << r.body;
  }
  // Another user's budget is whole, and the searches took none of erin's upload token.
  EXPECT_EQ(search(second, MakeToken("frank")).status, 200);
  HttpResponse upload = RequestUpload(first, erin, "after.pdf", "%PDF-1.4\n% after\n%%EOF\n");
  EXPECT_EQ(upload.status, 200) << upload.Describe();
}

INSTANTIATE_TEST_SUITE_P(Backends, UploadLimitsTwoProcessesTest,
                         ::testing::Values("sqlite", "postgres"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace ingestd::itest
