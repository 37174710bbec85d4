// BatchStore conformance, on SQLite and (with the pg_cluster fixture) PostgreSQL: the queue
// the embed stage sees (Turn, Enqueue, Forget), runs whose ids survive a reopen (a restart),
// line outcomes (done, again, failed), the jobs a finished run settles, and one batcher lease
// for every process.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <functional>
#include <memory>

#include "batch/pg_batch_store.h"
#include "batch/sqlite_batch_store.h"
#include "db/pg_test_support.h"

namespace ingestd {
namespace {

struct Backend {
  std::string name;
  std::function<std::string()> create;  // a fresh database's locator ("" to skip)
  std::function<Result<std::unique_ptr<BatchStore>>(const std::string&)> open;
  std::function<void(const std::string&)> drop;
};

void PrintTo(const Backend& b, std::ostream* os) { *os << b.name; }

constexpr char kModel[] = "text-embedding-3-small";

Backend SqliteBatchBackend() {
  return {"sqlite",
          [] {
            static int n = 0;
            auto dir =
                std::filesystem::temp_directory_path() /
                ("batch_store_test_" + std::to_string(::getpid()) + "_" + std::to_string(++n));
            std::filesystem::create_directories(dir);
            return (dir / "ingestd.db").string();
          },
          [](const std::string& path) -> Result<std::unique_ptr<BatchStore>> {
            auto s = SqliteBatchStore::Open(path, kModel);
            if (!s.ok()) return s.status();
            return std::unique_ptr<BatchStore>(std::move(*s));
          },
          [](const std::string& path) {
            std::filesystem::remove_all(std::filesystem::path(path).parent_path());
          }};
}

Backend PgBatchBackend() {
  return {"postgres",
          [] { return pg::TestClusterUrl().empty() ? std::string() : pg::CreateTestDatabase(); },
          [](const std::string& url) -> Result<std::unique_ptr<BatchStore>> {
            auto s = PgBatchStore::Open(url, kModel);
            if (!s.ok()) return s.status();
            return std::unique_ptr<BatchStore>(std::move(*s));
          },
          [](const std::string& url) { pg::DropTestDatabase(url); }};
}

class BatchStoreTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    db_ = GetParam().create();
    if (db_.empty()) GTEST_SKIP() << "no PostgreSQL test cluster (INGESTD_TEST_PG_URL_FILE)";
    store_ = Open();
  }
  void TearDown() override {
    store_.reset();
    if (!db_.empty()) GetParam().drop(db_);
  }
  std::unique_ptr<BatchStore> Open() {
    auto s = GetParam().open(db_);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? std::move(*s) : nullptr;
  }
  static Job JobOf(const std::string& id, int priority = 0) {
    Job j;
    j.id = id;
    j.document_id = "doc-" + id;
    j.user_id = "user-" + id;
    j.correlation_id = "corr-" + id;
    j.processing_priority = priority;
    return j;
  }
  void EnqueueTwo(const std::string& job, int64_t at) {
    ASSERT_TRUE(
        store_->Enqueue(JobOf(job), {{job + "-c1", "h1", 10}, {job + "-c2", "h2", 20}}, at).ok());
  }

  std::string db_;
  std::unique_ptr<BatchStore> store_;
};

TEST_P(BatchStoreTest, AJobWaitsUntilEveryChunkSettledThenShowsItsVectors) {
  auto none = store_->Turn("j1");
  ASSERT_TRUE(none.ok()) << none.status().ToString();
  EXPECT_EQ(none->state, BatchTurn::State::kNone);
  EnqueueTwo("j1", 100);
  EnqueueTwo("j1", 200);  // known already: nothing changes
  EXPECT_EQ(store_->Turn("j1")->state, BatchTurn::State::kWaiting);
  auto waiting = store_->ListWaiting(10);
  ASSERT_TRUE(waiting.ok());
  ASSERT_EQ(waiting->size(), 2u);
  EXPECT_EQ((*waiting)[0].chunk_id, "j1-c1");
  EXPECT_EQ((*waiting)[0].user_id, "user-j1");
  EXPECT_EQ((*waiting)[0].document_id, "doc-j1");
  EXPECT_EQ((*waiting)[0].enqueued_at_ms, 100);
  EXPECT_EQ((*waiting)[1].tokens, 20);

  BatchRun run{"run-1", kModel, "", "", "", 300};
  ASSERT_TRUE(store_->CreateRun(run, *waiting, {{"j1", "res-1"}}).ok());
  EXPECT_TRUE(store_->ListWaiting(10)->empty());
  EXPECT_EQ(store_->Turn("j1")->state, BatchTurn::State::kWaiting);  // in a batch
  run.input_file_id = "file-1";
  run.batch_id = "batch_1";
  run.status = "in_progress";
  ASSERT_TRUE(store_->UpdateRun(run).ok());

  // A restart reads the same run back: same file, same batch.
  store_ = Open();
  auto open = store_->OpenRuns();
  ASSERT_TRUE(open.ok());
  ASSERT_EQ(open->size(), 1u);
  EXPECT_EQ((*open)[0].batch_id, "batch_1");
  EXPECT_EQ((*open)[0].input_file_id, "file-1");
  EXPECT_EQ(store_->RunChunks("run-1")->size(), 2u);
  ASSERT_EQ(store_->RunReservations("run-1")->size(), 1u);
  EXPECT_EQ((*store_->RunReservations("run-1"))[0].reservation_id, "res-1");

  auto settled =
      store_->FinishRun("run-1", "completed",
                        {{"j1", "j1-c1", {0.5f, -1.0f}, 11, false}, {"j1", "j1-c2", {}, 0, false}});
  ASSERT_TRUE(settled.ok()) << settled.status().ToString();
  EXPECT_EQ(*settled, std::vector<std::string>{"j1"});
  EXPECT_TRUE(store_->OpenRuns()->empty());
  auto turn = store_->Turn("j1");
  ASSERT_TRUE(turn.ok());
  EXPECT_EQ(turn->state, BatchTurn::State::kSettled);
  ASSERT_EQ(turn->vectors.size(), 1u);
  EXPECT_EQ(turn->vectors[0].chunk_id, "j1-c1");
  EXPECT_EQ(turn->vectors[0].values, (std::vector<float>{0.5f, -1.0f}));
  EXPECT_EQ(turn->vectors[0].tokens, 11);
  EXPECT_EQ(turn->vectors[0].text_sha256, "h1");
  EXPECT_EQ(turn->vectors[0].model, kModel);
  EXPECT_EQ(turn->failed, 1);

  ASSERT_TRUE(store_->Forget("j1").ok());
  EXPECT_EQ(store_->Turn("j1")->state, BatchTurn::State::kNone);
}

TEST_P(BatchStoreTest, ALineThatGoesAgainWaitsForTheNextRunAndKeepsItsJobWaiting) {
  EnqueueTwo("j1", 100);
  auto waiting = store_->ListWaiting(10);
  ASSERT_TRUE(store_->CreateRun({"run-1", kModel, "f", "b", "", 1}, *waiting, {{"j1", ""}}).ok());
  // One line done, one to go again, and a chunk the answer did not name is failed.
  auto settled = store_->FinishRun("run-1", "completed", {{"j1", "j1-c2", {}, 0, true}});
  ASSERT_TRUE(settled.ok());
  EXPECT_TRUE(settled->empty());  // j1-c2 waits again
  auto again = store_->ListWaiting(10);
  ASSERT_EQ(again->size(), 1u);
  EXPECT_EQ((*again)[0].chunk_id, "j1-c2");
  EXPECT_EQ((*again)[0].attempts, 1);
  EXPECT_EQ(store_->Turn("j1")->state, BatchTurn::State::kWaiting);
  ASSERT_TRUE(store_->CreateRun({"run-2", kModel, "f2", "b2", "", 2}, *again, {{"j1", ""}}).ok());
  auto done = store_->FinishRun("run-2", "completed", {{"j1", "j1-c2", {1.0f}, 3, false}});
  ASSERT_TRUE(done.ok());
  EXPECT_EQ(*done, std::vector<std::string>{"j1"});
  auto turn = store_->Turn("j1");
  EXPECT_EQ(turn->vectors.size(), 1u);
  EXPECT_EQ(turn->failed, 1);  // j1-c1, named by no line of run-1
}

TEST_P(BatchStoreTest, OneBatcherLeadsAtATimeUntilItsLeaseLapses) {
  std::unique_ptr<BatchStore> other = Open();  // another process on the database
  EXPECT_TRUE(*store_->Lead("p1", 1'000, 500));
  EXPECT_FALSE(*other->Lead("p2", 1'200, 500));
  EXPECT_TRUE(*store_->Lead("p1", 1'400, 500));  // renewed
  EXPECT_FALSE(*other->Lead("p2", 1'800, 500));
  EXPECT_TRUE(*other->Lead("p2", 1'900, 500));  // p1's lease ended at 1'900
  EXPECT_FALSE(*store_->Lead("p1", 2'000, 500));
}

INSTANTIATE_TEST_SUITE_P(Backends, BatchStoreTest,
                         ::testing::Values(SqliteBatchBackend(), PgBatchBackend()),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace ingestd
