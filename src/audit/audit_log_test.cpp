// One suite over both AuditLog backends: SQLite on a temporary file, PostgreSQL on a fresh
// database of the test cluster (skipped when no cluster is configured).
#include <gtest/gtest.h>

#include <filesystem>

#include "audit/pg_audit_log.h"
#include "audit/sqlite_audit_log.h"
#include "db/pg_test_support.h"

namespace ingestd {
namespace {

AuditRecord Row(int64_t at_ms, const std::string& job, const std::string& key, int status,
                int64_t tokens = 0) {
  AuditRecord r;
  r.at_ms = at_ms;
  r.correlation_id = "corr-" + job;
  r.job_id = job;
  r.user_id = job == "j3" ? "bob" : "alice";
  r.service = job == "j3" ? "parse" : "embed";
  r.provider = job == "j3" ? "llamaparse" : "openai";
  r.operation = job == "j3" ? "upload" : "embeddings";
  r.key_id = key;
  r.model = "text-embedding-3-small";
  r.inputs = 2;
  r.tokens = tokens;
  r.cost_nanos = tokens * 20;
  r.http_status = status;
  r.error_code = status == 200 ? "" : (status == 0 ? "UPSTREAM_TIMEOUT" : "UPSTREAM_AUTH");
  r.latency_ms = 12;
  return r;
}

class AuditLogTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "sqlite") {
      static int n = 0;
      path_ = std::filesystem::temp_directory_path() /
              ("audit-" + std::to_string(::getpid()) + "-" + std::to_string(++n) + ".db");
      std::filesystem::remove(path_);
      auto log = SqliteAuditLog::Open(path_.string());
      ASSERT_TRUE(log.ok()) << log.status().ToString();
      log_ = std::move(*log);
      return;
    }
    if (pg::TestClusterUrl().empty()) GTEST_SKIP() << "no PostgreSQL test cluster";
    url_ = pg::CreateTestDatabase();
    ASSERT_FALSE(url_.empty());
    auto log = PgAuditLog::Open(url_);
    ASSERT_TRUE(log.ok()) << log.status().ToString();
    log_ = std::move(*log);
  }
  void TearDown() override {
    log_.reset();
    if (!path_.empty()) {
      for (const char* suffix : {"", "-wal", "-shm"}) {
        std::filesystem::remove(path_.string() + suffix);
      }
    }
    if (!url_.empty()) pg::DropTestDatabase(url_);
  }
  std::vector<int64_t> Times(const AuditQuery& q) {
    auto page = log_->Query(q);
    EXPECT_TRUE(page.ok()) << page.status().ToString();
    std::vector<int64_t> out;
    if (page.ok()) {
      for (const auto& r : page->records) out.push_back(r.at_ms);
    }
    return out;
  }
  void Seed() {
    ASSERT_TRUE(log_->Append({Row(1000, "j1", "k1", 200, 100), Row(2000, "j1", "k2", 401),
                              Row(3000, "j2", "k1", 200, 50), Row(4000, "j3", "k2", 0),
                              Row(5000, "j2", "k1", 200, 7)})
                    .ok());
  }

  std::filesystem::path path_;
  std::string url_;
  std::unique_ptr<AuditLog> log_;
};

TEST_P(AuditLogTest, RoundTripsEveryFieldNewestFirst) {
  Seed();
  auto page = log_->Query({});
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  ASSERT_EQ(page->records.size(), 5u);
  const AuditRecord& r = page->records[4];
  const AuditRecord want = Row(1000, "j1", "k1", 200, 100);
  EXPECT_GT(r.audit_id, 0);
  EXPECT_EQ(r.at_ms, 1000);
  EXPECT_EQ(r.correlation_id, want.correlation_id);
  EXPECT_EQ(r.user_id, "alice");
  EXPECT_EQ(r.service, "embed");
  EXPECT_EQ(r.provider, "openai");
  EXPECT_EQ(r.operation, "embeddings");
  EXPECT_EQ(r.key_id, "k1");
  EXPECT_EQ(r.model, want.model);
  EXPECT_EQ(r.inputs, 2);
  EXPECT_EQ(r.tokens, 100);
  EXPECT_EQ(r.cost_nanos, 2000);
  EXPECT_EQ(r.http_status, 200);
  EXPECT_EQ(r.error_code, "");
  EXPECT_EQ(r.latency_ms, 12);
  EXPECT_EQ(page->records[0].at_ms, 5000);
  EXPECT_EQ(page->totals.requests, 5);
  EXPECT_EQ(page->totals.tokens, 157);
  EXPECT_EQ(page->totals.cost_nanos, 157 * 20);
}

TEST_P(AuditLogTest, FiltersCombine) {
  Seed();
  AuditQuery q;
  q.key_id = "k1";
  EXPECT_EQ(Times(q), (std::vector<int64_t>{5000, 3000, 1000}));
  q.job_id = "j2";
  EXPECT_EQ(Times(q), (std::vector<int64_t>{5000, 3000}));
  q = {};
  q.from_ms = 2000;
  q.to_ms = 4000;
  EXPECT_EQ(Times(q), (std::vector<int64_t>{3000, 2000}));
  q = {};
  q.service = "parse";
  EXPECT_EQ(Times(q), (std::vector<int64_t>{4000}));
  q = {};
  q.user_id = "alice";
  q.outcome = AuditQuery::Outcome::kError;
  EXPECT_EQ(Times(q), (std::vector<int64_t>{2000}));
  q = {};
  q.outcome = AuditQuery::Outcome::kOk;
  EXPECT_EQ(Times(q), (std::vector<int64_t>{5000, 3000, 1000}));
  q = {};
  q.http_status = 0;
  EXPECT_EQ(Times(q), (std::vector<int64_t>{4000}));
  q.http_status = 401;
  EXPECT_EQ(Times(q), (std::vector<int64_t>{2000}));
}

TEST_P(AuditLogTest, PagesAndTotalsCoverTheWholeFilter) {
  Seed();
  AuditQuery q;
  q.limit = 2;
  q.offset = 1;
  auto page = log_->Query(q);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->records.size(), 2u);
  EXPECT_EQ(page->records[0].at_ms, 4000);
  EXPECT_EQ(page->records[1].at_ms, 3000);
  EXPECT_EQ(page->totals.requests, 5);
  q.offset = 10;
  page = log_->Query(q);
  ASSERT_TRUE(page.ok());
  EXPECT_TRUE(page->records.empty());
  EXPECT_EQ(page->totals.requests, 5);
}

TEST_P(AuditLogTest, PruneDeletesOnlyOlderRows) {
  Seed();
  auto pruned = log_->PruneBefore(3000);
  ASSERT_TRUE(pruned.ok());
  EXPECT_EQ(*pruned, 2);
  EXPECT_EQ(Times({}), (std::vector<int64_t>{5000, 4000, 3000}));
}

TEST_P(AuditLogTest, ReopeningMigratesOnce) {
  Seed();
  log_.reset();
  if (GetParam() == "sqlite") {
    log_ = std::move(*SqliteAuditLog::Open(path_.string()));
  } else {
    log_ = std::move(*PgAuditLog::Open(url_));
  }
  EXPECT_EQ(Times({}).size(), 5u);
}

INSTANTIATE_TEST_SUITE_P(Backends, AuditLogTest, ::testing::Values("sqlite", "postgres"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace ingestd
