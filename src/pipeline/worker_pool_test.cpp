#include "pipeline/worker_pool.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include "pipeline/pipeline_test_env.h"

namespace ingestd {
namespace {

using testing::PipelineTestEnv;
using testing::SyntheticPdf;

class WorkerPoolTest : public PipelineTestEnv {
 protected:
  // Polls (real time) until pred holds for every job or the deadline passes.
  template <typename Pred>
  bool WaitFor(const std::vector<Job>& jobs, Pred pred, int timeout_ms) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (std::chrono::steady_clock::now() < deadline) {
      bool all = true;
      for (const Job& j : jobs) all = all && pred(GetJob(j.id));
      if (all) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }
  bool WaitForState(const std::vector<Job>& jobs, QueueState state, int timeout_ms) {
    return WaitFor(
        jobs, [&](const Job& j) { return j.state == state; }, timeout_ms);
  }
  // The parse stage has begun: claimed and entered (parse_queued, still working).
  bool WaitForParsing(const Job& job) {
    return WaitFor(
        {job},
        [](const Job& j) {
          return j.status == JobStatus::kParseQueued && j.state == QueueState::kWorking;
        },
        5000);
  }
};

TEST_F(WorkerPoolTest, FourThreadsCompleteManyJobsAndStopCleanly) {
  options_.workers = 4;
  options_.idle_poll_ms = 5000;  // completion must not depend on polling
  WorkerPool pool(Deps(), options_, "pool");
  pool.Start();
  std::vector<Job> jobs;
  for (int i = 0; i < 24; ++i) {
    jobs.push_back(Upload(SyntheticPdf(1 + i % 3, "job" + std::to_string(i))));
    pool.Notify();
  }
  ASSERT_TRUE(WaitForState(jobs, QueueState::kDone, 60000));
  pool.Stop();
  for (const Job& j : jobs) {
    Job done = GetJob(j.id);
    EXPECT_EQ(done.status, JobStatus::kComplete);
    EXPECT_TRUE(done.claimed_by.empty());
    const int64_t chunks = *store_->CountChunks(j.document_id);
    EXPECT_GT(chunks, 0);
    EXPECT_EQ(*store_->CountVectors(j.document_id), chunks);
  }
}

TEST_F(WorkerPoolTest, NotifyWakesAnIdleWorkerBeforeThePoll) {
  options_.workers = 1;
  options_.idle_poll_ms = 60000;
  WorkerPool pool(Deps(), options_, "pool");
  pool.Start();
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // let the worker go idle
  Job job = Upload(SyntheticPdf(1, "wake"));
  pool.Notify();
  EXPECT_TRUE(WaitForState({job}, QueueState::kDone, 10000));
  pool.Stop();
}

TEST_F(WorkerPoolTest, StopNeverHandsBackTheClaimOfAStageStillRunning) {
  MockParser slow({.latency_ms = 1500});  // a stage with no point to cancel at
  PipelineDeps deps = Deps();
  deps.parser = &slow;
  options_.workers = 1;
  options_.drain_ms = 50;
  Job job = Upload(SyntheticPdf(1, "slow"));
  WorkerPool pool(deps, options_, "pool");
  pool.Start();
  pool.Notify();
  ASSERT_TRUE(WaitForParsing(job));
  pool.Stop();
  Job after = GetJob(job.id);
  EXPECT_EQ(after.status, JobStatus::kParsed);  // it ran to its end under its claim
  EXPECT_EQ(after.state, QueueState::kQueued);
  EXPECT_TRUE(after.claimed_by.empty());
  EXPECT_FALSE(after.last_error.has_value());
}

TEST_F(WorkerPoolTest, StopPastTheDrainTimeCancelsAnEmbedBetweenRequests) {
  options_.workers = 1;
  options_.drain_ms = 0;
  options_.embed_batch_size = 1;
  Job job = Upload(SyntheticPdf(8, "drain"));
  Worker first(Deps(), options_, "first");
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(first.RunOnce());  // parse, validate, chunk
  const int64_t chunks = *store_->CountChunks(job.document_id);
  ASSERT_GE(chunks, 4);
  MockEmbedder slow({.latency_ms = 200});
  PipelineDeps deps = Deps();
  deps.embedder = &slow;
  WorkerPool pool(deps, options_, "pool");
  pool.Start();
  pool.Notify();
  ASSERT_TRUE(WaitFor(
      {job}, [&](const Job&) { return *store_->CountVectors(job.document_id) > 0; }, 10000));
  pool.Stop();
  Job after = GetJob(job.id);
  EXPECT_EQ(after.status, JobStatus::kEmbeddingInProgress);
  EXPECT_EQ(after.state, QueueState::kQueued);  // released by its worker, after the stage
  EXPECT_TRUE(after.claimed_by.empty());
  EXPECT_EQ(after.retry_count, 0);
  const int64_t kept = *store_->CountVectors(job.document_id);
  EXPECT_GT(kept, 0);
  EXPECT_LT(kept, chunks);
  const auto codes = EventCodes(job);
  EXPECT_NE(std::find(codes.begin(), codes.end(), "STAGE_CANCELLED"), codes.end());
}

TEST_F(WorkerPoolTest, StopLetsShortStagesFinish) {
  MockParser slowish({.latency_ms = 200});
  PipelineDeps deps = Deps();
  deps.parser = &slowish;
  options_.workers = 1;
  options_.drain_ms = 5000;
  Job job = Upload(SyntheticPdf(1, "finish"));
  WorkerPool pool(deps, options_, "pool");
  pool.Start();
  pool.Notify();
  ASSERT_TRUE(WaitForParsing(job));
  pool.Stop();
  Job after = GetJob(job.id);
  EXPECT_EQ(after.status, JobStatus::kParsed);
  EXPECT_EQ(after.state, QueueState::kQueued);
}

}  // namespace
}  // namespace ingestd
