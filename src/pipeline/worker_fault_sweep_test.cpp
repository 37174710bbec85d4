// Fails every store call of a job's run in turn (before it reaches the database, and after
// it committed but with the reply lost) and checks that the job still completes exactly
// once: every stage's rows and done event once, no duplicate chunks or vectors.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "core/log.h"
#include "pipeline/pipeline_test_env.h"
#include "pipeline/worker.h"
#include "store/faulty_store.h"

namespace ingestd {
namespace {

using testing::PipelineTestEnv;
using testing::SyntheticPdf;

class WorkerFaultSweepTest : public PipelineTestEnv {
 protected:
  void SetUp() override {
    PipelineTestEnv::SetUp();
    log::SetMinLevel(log::Level::kError);  // hundreds of expected warnings otherwise
  }
  void TearDown() override {
    log::SetMinLevel(log::Level::kInfo);
    PipelineTestEnv::TearDown();
  }

  // Runs the worker until the job is done or dead, moving time on whenever nothing is
  // claimable (so retries fall due and leases of "lost" claims expire).
  Job RunToEnd(Worker& w, const Job& job) {
    for (int i = 0; i < 100; ++i) {
      Job now = GetJob(job.id);
      if (now.state == QueueState::kDone || now.state == QueueState::kDeadletter) return now;
      if (!w.RunOnce()) clock_.Advance(options_.lease_ms + options_.backoff.max_delay_ms);
    }
    return GetJob(job.id);
  }

  void ExpectCompletedExactlyOnce(const Job& job, const std::string& scenario) {
    SCOPED_TRACE(scenario);
    Job done = GetJob(job.id);
    EXPECT_EQ(done.status, JobStatus::kComplete);
    EXPECT_EQ(done.state, QueueState::kDone);
    auto chunks = store_->GetChunks(job.document_id);
    ASSERT_TRUE(chunks.ok());
    std::set<std::string> ids;
    for (const Chunk& c : *chunks) ids.insert(c.id);
    EXPECT_EQ(ids.size(), chunks->size());
    EXPECT_GT(chunks->size(), 0u);
    EXPECT_EQ(*store_->CountVectors(job.document_id), static_cast<int64_t>(chunks->size()));
    std::vector<std::string> codes = EventCodes(job);
    for (const char* code : {"PARSE_STORED", "PARSE_VALIDATED", "CHUNKS_STORED",
                             "EMBEDDINGS_STORED", "JOB_COMPLETED"}) {
      EXPECT_EQ(std::count(codes.begin(), codes.end(), code), 1) << code;
    }
  }
};

TEST_F(WorkerFaultSweepTest, EveryStoreCallFailingOnceStillCompletesExactlyOnce) {
  FaultyStore faulty(store_.get());
  PipelineDeps deps = Deps();
  deps.store = &faulty;
  Worker w(deps, options_, "w-sweep");

  // A clean run tells how many store calls a job takes.
  Job clean = Upload(SyntheticPdf(2, "clean"));
  faulty.Reset();
  RunToEnd(w, clean);
  const int64_t calls = faulty.calls();
  ExpectCompletedExactlyOnce(clean, "clean");
  ASSERT_GT(calls, 10);

  for (FaultyStore::When when : {FaultyStore::When::kBefore, FaultyStore::When::kAfter}) {
    for (int64_t n = 1; n <= calls; ++n) {
      const std::string scenario =
          std::string(when == FaultyStore::When::kBefore ? "before" : "after") + " call " +
          std::to_string(n);
      Job job = Upload(SyntheticPdf(2, scenario));
      faulty.Reset();
      faulty.FailNthCall(n, when);
      RunToEnd(w, job);
      EXPECT_EQ(faulty.faults_injected(), 1) << scenario;
      ExpectCompletedExactlyOnce(job, scenario);
    }
  }
}

}  // namespace
}  // namespace ingestd
