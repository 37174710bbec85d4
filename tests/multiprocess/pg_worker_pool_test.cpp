// A WorkerPool on PostgreSQL sleeps on LISTEN/NOTIFY: with its idle poll set to a minute,
// a job queued through another store handle (another process, in production) must still
// be picked up at once — and only because the store pushed a wake-up.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "db/pg_test_support.h"
#include "pipeline/pipeline_test_env.h"
#include "pipeline/worker_pool.h"

namespace ingestd {
namespace {

using namespace std::chrono_literals;

class PgWorkerPoolTest : public testing::PipelineTestEnv {
 protected:
  void SetUp() override {
    PipelineTestEnv::SetUp();
    url_ = pg::CreateTestDatabase();
    ASSERT_FALSE(url_.empty());
    auto api = OpenStore(url_);  // the handle uploads go through (an API process)
    ASSERT_TRUE(api.ok()) << api.status().ToString();
    store_ = std::move(*api);
    ASSERT_TRUE(store_->Migrate().ok());
    auto workers = OpenStore(url_);  // the pool's own handle (a worker process)
    ASSERT_TRUE(workers.ok());
    worker_store_ = std::move(*workers);
  }
  void TearDown() override {
    worker_store_.reset();
    store_.reset();
    pg::DropTestDatabase(url_);
    PipelineTestEnv::TearDown();
  }

  bool WaitUntilDone(const std::string& job_id, std::chrono::milliseconds timeout) {
    for (auto until = std::chrono::steady_clock::now() + timeout;
         std::chrono::steady_clock::now() < until; std::this_thread::sleep_for(20ms)) {
      if (GetJob(job_id).state == QueueState::kDone) return true;
    }
    return false;
  }

  std::string url_;
  std::unique_ptr<Store> worker_store_;
};

TEST_F(PgWorkerPoolTest, IdleWorkersWakeForJobsQueuedThroughAnotherHandle) {
  options_.workers = 1;
  options_.idle_poll_ms = 60'000;
  options_.notified_idle_poll_ms = 60'000;  // no polling to fall back on within the test
  PipelineDeps deps = Deps();
  deps.store = worker_store_.get();
  WorkerPool pool(deps, options_, "pg-wake");
  pool.Start();
  std::this_thread::sleep_for(500ms);  // connected, listening, idle

  for (int i = 0; i < 2; ++i) {  // twice: the wake-up is not a one-off
    Job job = Upload(testing::SyntheticPdf(1, "wake-" + std::to_string(i)));
    EXPECT_TRUE(WaitUntilDone(job.id, 20s)) << "job " << i << " was not picked up";
  }
  pool.Stop();
}

}  // namespace
}  // namespace ingestd
