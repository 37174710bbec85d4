// Conformance: Store::WakeParkedJob, the Batch API batcher's wake-up. It wakes a job parked
// in the status named, once its batch ended, and nothing else.
#include "store/store_conformance.h"

namespace ingestd {
namespace {

Event BatchEvent(const std::string& job_id, int64_t at_ms) {
  Event e;
  e.job_id = job_id;
  e.type = "provider";
  e.code = "EMBED_BATCH_ENDED";
  e.stage = "embed";
  e.payload = {{"batch_id", "batch_1"}};
  e.at_ms = at_ms;
  return e;
}

TEST_P(StoreConformanceTest, ABatchedJobWakesOnlyWhileParkedInThatStatus) {
  Upload("u1", kT0);
  Job job = MustClaim("w1", kT0 + 1);
  // Not parked (working): left alone.
  auto early = store_->WakeParkedJob(job.id, JobStatus::kEmbeddingBatched,
                                     BatchEvent(job.id, kT0 + 1), kT0 + 1);
  ASSERT_TRUE(early.ok()) << early.status().ToString();
  EXPECT_FALSE(*early);
  StageCommit park;
  park.job_id = job.id;
  park.worker_id = "w1";
  park.to = JobStatus::kEmbeddingBatched;
  park.next_state = QueueState::kRetryable;
  park.retry_at_ms = kT0 + 86'400'000;
  park.now_ms = kT0 + 2;
  ASSERT_TRUE(store_->CommitStage(park).ok());
  auto none = store_->ClaimNext("w2", kT0 + 1'000, kLeaseMs);
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  // Another status named: left alone.
  auto wrong = store_->WakeParkedJob(job.id, JobStatus::kParseSubmitted,
                                     BatchEvent(job.id, kT0 + 3), kT0 + 3);
  ASSERT_TRUE(wrong.ok());
  EXPECT_FALSE(*wrong);
  auto woke = store_->WakeParkedJob(job.id, JobStatus::kEmbeddingBatched,
                                    BatchEvent(job.id, kT0 + 2'000), kT0 + 2'000);
  ASSERT_TRUE(woke.ok());
  EXPECT_TRUE(*woke);
  Job resumed = MustClaim("w2", kT0 + 2'000);
  EXPECT_EQ(resumed.id, job.id);
  EXPECT_EQ(resumed.status, JobStatus::kEmbeddingBatched);
  EXPECT_EQ(resumed.retry_count, 0);
  auto events = store_->ListEvents("u1", job.id);
  ASSERT_TRUE(events.ok());
  int wakes = 0;
  for (const Event& e : *events) wakes += e.code == "EMBED_BATCH_ENDED";
  EXPECT_EQ(wakes, 1);
  // A job that is gone: false, not an error.
  auto gone = store_->WakeParkedJob("no-such-job", JobStatus::kEmbeddingBatched,
                                    BatchEvent("no-such-job", kT0), kT0);
  ASSERT_TRUE(gone.ok());
  EXPECT_FALSE(*gone);
}

}  // namespace
}  // namespace ingestd
