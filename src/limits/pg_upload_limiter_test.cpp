// Runs the UploadLimiter conformance suite against PostgreSQL (a fresh database per test on
// the pg_cluster fixture's cluster), plus concurrent migrations.
#include "limits/pg_upload_limiter.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "db/pg_test_support.h"
#include "limits/upload_limiter_conformance.h"

namespace ingestd::limits {
namespace {

LimiterBackend PostgresBackend() {
  return LimiterBackend{"postgres", [] { return pg::CreateTestDatabase(); },
                        [](const std::string& url) { pg::DropTestDatabase(url); }};
}

INSTANTIATE_TEST_SUITE_P(Postgres, UploadLimiterConformanceTest,
                         ::testing::Values(PostgresBackend()), LimiterBackendName);

TEST(PgUploadLimiterTest, LimitersOpeningAtOnceMigrateOnce) {
  const std::string url = pg::CreateTestDatabase();
  ASSERT_FALSE(url.empty());
  FakeClock clock;
  std::vector<Status> results(6);
  std::vector<std::thread> threads;
  for (size_t i = 0; i < results.size(); ++i) {
    threads.emplace_back([&, i] {
      auto l = OpenUploadLimiter(url, UploadLimits{.per_minute = 1}, &clock);
      results[i] = l.ok() ? Status() : l.status();
    });
  }
  for (auto& t : threads) t.join();
  for (const Status& s : results) EXPECT_TRUE(s.ok()) << s.ToString();
  pg::DropTestDatabase(url);
}

}  // namespace
}  // namespace ingestd::limits
