// Runs the Store conformance suite against SQLite, plus checks specific to this backend.
#include "store/sqlite/sqlite_store.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <atomic>
#include <filesystem>
#include <thread>
#include <vector>

#include "core/crypto.h"
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
  for (const char* url : {"postgres://localhost/db", "mysql://x", "sqlite://"}) {
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

TEST_F(SqliteStoreTest, ClaimQueryUsesThePartialIndex) {
  const std::string path = dir_ + "/plan.db";
  ASSERT_TRUE((*OpenStore(path))->Migrate().ok());
  sqlite3* db = RawOpen(path);
  std::string explain = std::string("EXPLAIN QUERY PLAN ") + sqlite::sql::kClaimNext;
  sqlite3_stmt* st = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, explain.c_str(), -1, &st, nullptr), SQLITE_OK)
      << sqlite3_errmsg(db);
  std::string plan;
  while (sqlite3_step(st) == SQLITE_ROW) {
    plan += reinterpret_cast<const char*>(sqlite3_column_text(st, 3));
    plan += "\n";
  }
  sqlite3_finalize(st);
  sqlite3_close(db);
  EXPECT_NE(plan.find("jobs_claimable"), std::string::npos) << plan;
  EXPECT_EQ(plan.find("TEMP B-TREE"), std::string::npos) << plan;  // no sort step
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
