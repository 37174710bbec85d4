// ServiceSettings conformance, on SQLite and (when the pg_cluster fixture is up) PostgreSQL:
// persisted modes, history rows with an unbroken from → to chain, restarts, and several
// instances (as several processes would) sharing one database.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <functional>
#include <memory>
#include <thread>

#include "control/pg_service_settings.h"
#include "control/sqlite_service_settings.h"
#include "db/pg_test_support.h"

namespace ingestd {
namespace {

struct Backend {
  std::string name;
  // Creates a fresh database and returns its locator ("" to skip the backend).
  std::function<std::string()> create;
  std::function<Result<std::unique_ptr<ServiceSettings>>(const std::string&, const Clock*)> open;
  std::function<void(const std::string&)> drop;
};

void PrintTo(const Backend& b, std::ostream* os) { *os << b.name; }

Backend SqliteBackend() {
  return {
      "sqlite",
      [] {
        static int n = 0;
        auto dir = std::filesystem::temp_directory_path() /
                   ("settings_test_" + std::to_string(::getpid()) + "_" + std::to_string(++n));
        std::filesystem::create_directories(dir);
        return (dir / "ingestd.db").string();
      },
      [](const std::string& path, const Clock* clock) -> Result<std::unique_ptr<ServiceSettings>> {
        auto s = SqliteServiceSettings::Open(path, clock);
        if (!s.ok()) return s.status();
        return std::unique_ptr<ServiceSettings>(std::move(*s));
      },
      [](const std::string& path) {
        std::filesystem::remove_all(std::filesystem::path(path).parent_path());
      }};
}

Backend PgBackend() {
  return {
      "postgres",
      [] { return pg::TestClusterUrl().empty() ? std::string() : pg::CreateTestDatabase(); },
      [](const std::string& url, const Clock* clock) -> Result<std::unique_ptr<ServiceSettings>> {
        auto s = PgServiceSettings::Open(url, clock);
        if (!s.ok()) return s.status();
        return std::unique_ptr<ServiceSettings>(std::move(*s));
      },
      [](const std::string& url) { pg::DropTestDatabase(url); }};
}

class ServiceSettingsTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    db_ = GetParam().create();
    if (db_.empty()) GTEST_SKIP() << "no PostgreSQL test cluster (INGESTD_TEST_PG_URL_FILE)";
    settings_ = Open();
  }
  void TearDown() override {
    settings_.reset();
    if (!db_.empty()) GetParam().drop(db_);
  }
  std::unique_ptr<ServiceSettings> Open() {
    auto s = GetParam().open(db_, &clock_);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? std::move(*s) : nullptr;
  }

  FakeClock clock_;
  std::string db_;
  std::unique_ptr<ServiceSettings> settings_;
};

TEST_P(ServiceSettingsTest, NothingIsPersistedUntilAModeIsSet) {
  ASSERT_NE(settings_, nullptr);
  EXPECT_TRUE(settings_->Modes()->empty());
  EXPECT_TRUE(settings_->History(10, 0)->empty());
}

TEST_P(ServiceSettingsTest, SetModeRecordsWhoWhenFromAndTo) {
  ASSERT_NE(settings_, nullptr);
  auto first = settings_->SetMode({"embed", "real", "admin-1", "corr-1", "mock"});
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(first->from_mode, "mock");  // nothing persisted: the configured default
  EXPECT_EQ(first->to_mode, "real");
  EXPECT_EQ(first->at_ms, clock_.NowMillis());
  clock_.Advance(5'000);
  auto second = settings_->SetMode({"embed", "hybrid", "admin-2", "corr-2", "mock"});
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->from_mode, "real");  // the persisted mode, not the default
  EXPECT_GT(second->change_id, first->change_id);

  auto modes = settings_->Modes();
  ASSERT_TRUE(modes.ok());
  ASSERT_EQ(modes->size(), 1u);
  EXPECT_EQ((*modes)[0].service, "embed");
  EXPECT_EQ((*modes)[0].mode, "hybrid");
  EXPECT_EQ((*modes)[0].updated_by, "admin-2");
  EXPECT_EQ((*modes)[0].updated_at_ms, clock_.NowMillis());

  auto history = settings_->History(10, 0);
  ASSERT_TRUE(history.ok());
  ASSERT_EQ(history->size(), 2u);
  const ModeChange& newest = (*history)[0];
  EXPECT_EQ(newest.change_id, second->change_id);
  EXPECT_EQ(newest.service, "embed");
  EXPECT_EQ(newest.from_mode, "real");
  EXPECT_EQ(newest.to_mode, "hybrid");
  EXPECT_EQ(newest.actor, "admin-2");
  EXPECT_EQ(newest.correlation_id, "corr-2");
  EXPECT_EQ(newest.at_ms, clock_.NowMillis());
  EXPECT_EQ((*history)[1].actor, "admin-1");
  auto page = settings_->History(1, 1);
  ASSERT_EQ(page->size(), 1u);
  EXPECT_EQ((*page)[0].change_id, first->change_id);
}

TEST_P(ServiceSettingsTest, ARestartAndASecondInstanceSeeTheSameModes) {
  ASSERT_NE(settings_, nullptr);
  ASSERT_TRUE(settings_->SetMode({"parse", "local", "a", "c", "mock"}).ok());
  auto other = Open();  // another process on the same database (migrations are idempotent)
  ASSERT_NE(other, nullptr);
  ASSERT_EQ(other->Modes()->size(), 1u);
  EXPECT_EQ((*other->Modes())[0].mode, "local");
  ASSERT_TRUE(other->SetMode({"parse", "mock", "b", "c2", "mock"}).ok());
  EXPECT_EQ((*settings_->Modes())[0].mode, "mock");
  settings_.reset();
  settings_ = Open();
  EXPECT_EQ((*settings_->Modes())[0].mode, "mock");
  EXPECT_EQ(settings_->History(10, 0)->size(), 2u);
}

TEST_P(ServiceSettingsTest, ConcurrentSwitchesFromManyInstancesKeepAnUnbrokenChain) {
  ASSERT_NE(settings_, nullptr);
  constexpr int kThreads = 4, kEach = 10;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      auto mine = Open();
      if (mine == nullptr) return;
      for (int i = 0; i < kEach; ++i) {
        const char* mode = (t + i) % 2 ? "real" : "mock";
        EXPECT_TRUE(mine->SetMode({"embed", mode, "t" + std::to_string(t), "c", "mock"}).ok());
      }
    });
  }
  for (auto& t : threads) t.join();
  auto history = settings_->History(500, 0);
  ASSERT_TRUE(history.ok());
  ASSERT_EQ(history->size(), static_cast<size_t>(kThreads * kEach));
  // Newest first: each change starts from the mode the one before it set.
  for (size_t i = 0; i + 1 < history->size(); ++i) {
    EXPECT_EQ((*history)[i].from_mode, (*history)[i + 1].to_mode) << "change " << i;
  }
  EXPECT_EQ(history->back().from_mode, "mock");
  EXPECT_EQ((*settings_->Modes())[0].mode, history->front().to_mode);
}

INSTANTIATE_TEST_SUITE_P(Backends, ServiceSettingsTest,
                         ::testing::Values(SqliteBackend(), PgBackend()),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace ingestd
