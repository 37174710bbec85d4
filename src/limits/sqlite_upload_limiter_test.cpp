// Runs the UploadLimiter conformance suite against SQLite files, plus the limiter's own
// tables living beside the store's in one database.
#include "limits/sqlite_upload_limiter.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "core/crypto.h"
#include "limits/upload_limiter_conformance.h"
#include "store/store.h"

namespace ingestd::limits {
namespace {

namespace fs = std::filesystem;

std::string NewTempDir() {
  fs::path dir = fs::temp_directory_path() / ("ingestd-limits-" + HexEncode(RandomBytes(6)));
  fs::create_directories(dir);
  return dir.string();
}

LimiterBackend SqliteBackend() {
  return LimiterBackend{
      "sqlite", [] { return "sqlite://" + NewTempDir() + "/ingestd.db"; },
      [](const std::string& url) {
        fs::remove_all(fs::path(url.substr(std::string("sqlite://").size())).parent_path());
      }};
}

INSTANTIATE_TEST_SUITE_P(Sqlite, UploadLimiterConformanceTest, ::testing::Values(SqliteBackend()),
                         LimiterBackendName);

TEST(SqliteUploadLimiterTest, SharesTheStoresDatabaseFile) {
  const std::string dir = NewTempDir();
  const std::string url = "sqlite://" + dir + "/ingestd.db";
  auto store = OpenStore(url);
  ASSERT_TRUE(store.ok());
  ASSERT_TRUE((*store)->Migrate().ok());
  FakeClock clock;
  auto limiter = OpenUploadLimiter(url, UploadLimits{.per_minute = 1}, &clock);
  ASSERT_TRUE(limiter.ok()) << limiter.status().ToString();
  EXPECT_TRUE((*limiter)->Take("alice").ok());
  // Opening again (a restart) migrates nothing twice and keeps the buckets.
  limiter = OpenUploadLimiter(url, UploadLimits{.per_minute = 1}, &clock);
  ASSERT_TRUE(limiter.ok()) << limiter.status().ToString();
  EXPECT_EQ((*limiter)->Take("alice").code(), kMinuteExceeded);
  EXPECT_TRUE((*store)->Ping().ok());
  fs::remove_all(dir);
}

}  // namespace
}  // namespace ingestd::limits
