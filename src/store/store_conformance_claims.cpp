// Conformance: claiming, leases and the worker-side state changes.
#include <atomic>
#include <mutex>
#include <set>
#include <thread>

#include "store/store_conformance.h"

namespace ingestd {
namespace {

using ::testing::ElementsAre;

TEST_P(StoreConformanceTest, ClaimTakesTheOldestRunnableJob) {
  CreateUploadResult a = Upload("u1", kT0 + 2);
  CreateUploadResult b = Upload("u2", kT0 + 1);
  CreateUploadResult c = Upload("u1", kT0 + 3);
  Job first = MustClaim("w1", kT0 + 10, 5000);
  EXPECT_EQ(first.id, b.job.id);
  EXPECT_EQ(first.state, QueueState::kWorking);
  EXPECT_EQ(first.claimed_by, "w1");
  EXPECT_EQ(first.lease_expires_at_ms, kT0 + 10 + 5000);
  EXPECT_EQ(first.updated_at_ms, kT0 + 10);
  EXPECT_EQ(first.correlation_id, b.job.correlation_id);
  EXPECT_EQ(MustClaim("w1", kT0 + 10).id, a.job.id);
  EXPECT_EQ(MustClaim("w2", kT0 + 10).id, c.job.id);
  auto none = store_->ClaimNext("w1", kT0 + 10, kLeaseMs);
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  auto stored = store_->GetJob("u2", b.job.id);
  EXPECT_EQ(stored->state, QueueState::kWorking);
  EXPECT_EQ(stored->claimed_by, "w1");
}

TEST_P(StoreConformanceTest, AwaitingUploadIsNeverClaimed) {
  CreateUploadResult up = Upload("u1", kT0, JobStatus::kAwaitingUpload);
  EXPECT_FALSE(store_->ClaimNext("w1", kT0 + 1'000'000, kLeaseMs)->has_value());
  ASSERT_TRUE(store_->CompleteUpload(up.job.id, "documents/x.pdf", kT0 + 1).ok());
  EXPECT_EQ(MustClaim("w1", kT0 + 2).id, up.job.id);
}

TEST_P(StoreConformanceTest, RetryableWaitsForRetryAt) {
  CreateUploadResult up = Upload("u1", kT0);
  MustClaim("w1", kT0);
  ASSERT_TRUE(
      store_->ScheduleRetry(up.job.id, "w1", kT0 + 1000, kParseTimeout, kT0 + 1, true).ok());
  auto job = store_->GetJob("u1", up.job.id);
  EXPECT_EQ(job->state, QueueState::kRetryable);
  EXPECT_EQ(job->retry_count, 1);
  EXPECT_EQ(job->retry_at_ms, kT0 + 1000);
  EXPECT_EQ(job->claimed_by, "");
  ASSERT_TRUE(job->last_error.has_value());
  EXPECT_EQ(job->last_error->code, "PARSE_TIMEOUT");
  EXPECT_EQ(job->last_error->message, "the parser timed out");
  EXPECT_EQ(job->last_error->stage, "parse");
  EXPECT_EQ(job->last_error->at_ms, kT0);

  EXPECT_FALSE(store_->ClaimNext("w2", kT0 + 999, kLeaseMs)->has_value());
  Job again = MustClaim("w2", kT0 + 1000);
  EXPECT_EQ(again.id, up.job.id);
  EXPECT_EQ(again.retry_count, 1);
  ASSERT_TRUE(
      store_->ScheduleRetry(up.job.id, "w2", kT0 + 5000, kParseTimeout, kT0 + 1001, true).ok());
  EXPECT_EQ(store_->GetJob("u1", up.job.id)->retry_count, 2);

  auto events = store_->ListEvents("u1", up.job.id);
  ASSERT_EQ(events->size(), 3u);
  const Event& retry = (*events)[2];
  EXPECT_EQ(retry.code, "RETRY_SCHEDULED");
  EXPECT_EQ(retry.stage, "parse");
  EXPECT_EQ(retry.correlation_id, up.job.correlation_id);
  EXPECT_EQ(retry.payload["retry_at"], kT0 + 5000);
  EXPECT_EQ(retry.payload["retry_count"], 2);
  EXPECT_EQ(retry.payload["error"]["code"], "PARSE_TIMEOUT");
}

TEST_P(StoreConformanceTest, AWaitIsRetriedWithoutUsingAnAttempt) {
  CreateUploadResult up = Upload("u1", kT0);
  MustClaim("w1", kT0);
  const LastError budget{"BUDGET_EXCEEDED", "no room", "embed", kT0};
  ASSERT_TRUE(store_->ScheduleRetry(up.job.id, "w1", kT0 + 1000, budget, kT0 + 1, false).ok());
  auto job = store_->GetJob("u1", up.job.id);
  EXPECT_EQ(job->state, QueueState::kRetryable);
  EXPECT_EQ(job->retry_count, 0);
  EXPECT_EQ(job->retry_at_ms, kT0 + 1000);
  auto events = store_->ListEvents("u1", up.job.id);
  EXPECT_EQ(events->back().code, "RETRY_SCHEDULED");
  EXPECT_EQ(events->back().payload["counts_as_attempt"], false);
  EXPECT_EQ(events->back().payload["retry_count"], 0);
}

TEST_P(StoreConformanceTest, ExpiredLeaseIsReclaimedAndTheOldWorkerLosesIt) {
  CreateUploadResult up = Upload("u1", kT0);
  MustClaim("w-old", kT0, 1000);
  EXPECT_FALSE(store_->ClaimNext("w-new", kT0 + 1000, kLeaseMs)->has_value());  // not yet
  Job stolen = MustClaim("w-new", kT0 + 1001);
  EXPECT_EQ(stolen.id, up.job.id);
  EXPECT_EQ(stolen.claimed_by, "w-new");
  EXPECT_EQ(stolen.reclaimed_from, "w-old");
  EXPECT_EQ(stolen.retry_count, 1);  // the lost lease used up an attempt

  StageCommit c;
  c.job_id = up.job.id;
  c.worker_id = "w-old";
  c.to = JobStatus::kChunksStored;
  c.chunks = MakeChunks(up.document.id, 2);
  for (Status s : {store_->CommitStage(c), store_->ExtendLease(up.job.id, "w-old", kT0 + 9999),
                   store_->ScheduleRetry(up.job.id, "w-old", kT0, kParseTimeout, kT0, true),
                   store_->DeadLetter(up.job.id, "w-old", kParseTimeout, kT0),
                   store_->ReleaseClaim(up.job.id, "w-old", kT0)}) {
    EXPECT_EQ(s.kind(), Kind::kConflict);
    EXPECT_EQ(s.code(), "LEASE_LOST");
  }
  auto job = store_->GetJob("u1", up.job.id);
  EXPECT_EQ(job->claimed_by, "w-new");
  EXPECT_EQ(job->state, QueueState::kWorking);
  EXPECT_EQ(job->status, JobStatus::kUploaded);
  EXPECT_EQ(*store_->CountChunks(up.document.id), 0);
  EXPECT_THAT(EventCodes("u1", up.job.id), ElementsAre("UPLOAD_ACCEPTED"));
}

TEST_P(StoreConformanceTest, EveryLostLeaseCountsAsAnAttemptAndOrdinaryClaimsDoNot) {
  CreateUploadResult up = Upload("u1", kT0);
  Job first = MustClaim("w1", kT0, 1000);
  EXPECT_EQ(first.reclaimed_from, "");
  EXPECT_EQ(first.retry_count, 0);
  EXPECT_EQ(MustClaim("w2", kT0 + 1001, 1000).retry_count, 1);
  Job third = MustClaim("w3", kT0 + 2002, 1000);
  EXPECT_EQ(third.reclaimed_from, "w2");
  EXPECT_EQ(third.retry_count, 2);
  EXPECT_EQ(store_->GetJob("u1", up.job.id)->retry_count, 2);
  ASSERT_TRUE(store_->ReleaseClaim(up.job.id, "w3", kT0 + 2003).ok());
  Job released = MustClaim("w4", kT0 + 2004);
  EXPECT_EQ(released.reclaimed_from, "");
  EXPECT_EQ(released.retry_count, 2);
}

TEST_P(StoreConformanceTest, WorkerCallsOnUnclaimedOrMissingJobsAreLeaseLost) {
  CreateUploadResult up = Upload("u1", kT0);
  EXPECT_EQ(store_->ExtendLease(up.job.id, "w1", kT0).code(), "LEASE_LOST");
  EXPECT_EQ(store_->ReleaseClaim("missing-job", "w1", kT0).code(), "LEASE_LOST");
  StageCommit c;
  c.job_id = "missing-job";
  c.worker_id = "w1";
  EXPECT_EQ(store_->CommitStage(c).code(), "LEASE_LOST");
}

TEST_P(StoreConformanceTest, ExtendLeaseKeepsTheJobFromOthers) {
  CreateUploadResult up = Upload("u1", kT0);
  MustClaim("w1", kT0, 1000);
  ASSERT_TRUE(store_->ExtendLease(up.job.id, "w1", kT0 + 60'000).ok());
  EXPECT_EQ(store_->GetJob("u1", up.job.id)->lease_expires_at_ms, kT0 + 60'000);
  EXPECT_FALSE(store_->ClaimNext("w2", kT0 + 59'999, kLeaseMs)->has_value());
  EXPECT_EQ(MustClaim("w2", kT0 + 60'001).id, up.job.id);
}

TEST_P(StoreConformanceTest, ReleaseClaimRequeuesWithoutChangingStatus) {
  CreateUploadResult up = Upload("u1", kT0);
  Job job = MustClaim("w1", kT0);
  StageCommit c = MakeCommit(job.id, "w1", JobStatus::kParsed, QueueState::kWorking);
  ASSERT_TRUE(store_->CommitStage(c).ok());
  ASSERT_TRUE(store_->ReleaseClaim(job.id, "w1", kT0 + 5).ok());
  auto released = store_->GetJob("u1", job.id);
  EXPECT_EQ(released->state, QueueState::kQueued);
  EXPECT_EQ(released->status, JobStatus::kParsed);
  EXPECT_EQ(released->claimed_by, "");
  EXPECT_EQ(released->lease_expires_at_ms, 0);
  EXPECT_EQ(released->updated_at_ms, kT0 + 5);
  EXPECT_EQ(MustClaim("w2", kT0 + 6).id, up.job.id);
}

TEST_P(StoreConformanceTest, DeadLetterRecordsTheErrorAndIsNeverClaimed) {
  CreateUploadResult up = Upload("u1", kT0);
  MustClaim("w1", kT0);
  LastError bad{"PDF_INVALID", "not a PDF", "parse", kT0 + 3};
  ASSERT_TRUE(store_->DeadLetter(up.job.id, "w1", bad, kT0 + 4).ok());
  auto job = store_->GetJob("u1", up.job.id);
  EXPECT_EQ(job->state, QueueState::kDeadletter);
  EXPECT_EQ(job->claimed_by, "");
  ASSERT_TRUE(job->last_error.has_value());
  EXPECT_EQ(job->last_error->code, "PDF_INVALID");
  EXPECT_EQ(job->last_error->at_ms, kT0 + 3);
  EXPECT_FALSE(store_->ClaimNext("w1", kT0 + 100'000'000, kLeaseMs)->has_value());
  auto events = store_->ListEvents("u1", up.job.id);
  ASSERT_EQ(events->size(), 2u);
  EXPECT_EQ((*events)[1].code, "DLQ_MOVED");
  EXPECT_EQ((*events)[1].stage, "parse");
  EXPECT_EQ((*events)[1].payload["error"]["message"], "not a PDF");
}

TEST_P(StoreConformanceTest, ConcurrentClaimersNeverShareAJob) {
  constexpr int kJobs = 40;
  constexpr int kThreads = 8;
  for (int i = 0; i < kJobs; ++i) Upload("u1", kT0 + i);
  std::mutex mu;
  std::multiset<std::string> claimed;
  std::atomic<int> errors{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      const std::string worker = "w" + std::to_string(t);
      for (;;) {
        auto r = store_->ClaimNext(worker, kT0 + 1000, kLeaseMs);
        if (!r.ok()) {
          ++errors;
          return;
        }
        if (!r->has_value()) return;
        std::lock_guard<std::mutex> lock(mu);
        claimed.insert((*r)->id);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(claimed.size(), static_cast<size_t>(kJobs));
  EXPECT_EQ(std::set<std::string>(claimed.begin(), claimed.end()).size(),
            static_cast<size_t>(kJobs));
}

TEST_P(StoreConformanceTest, ClaimersOnSeparateHandlesNeverShareAJob) {
  constexpr int kJobs = 30;
  for (int i = 0; i < kJobs; ++i) Upload("u1", kT0 + i);
  std::vector<std::unique_ptr<Store>> handles;
  for (int i = 0; i < 3; ++i) handles.push_back(OpenAgain());
  std::mutex mu;
  std::vector<std::string> claimed;
  std::atomic<int> errors{0};
  std::vector<std::thread> threads;
  for (size_t h = 0; h < handles.size(); ++h) {
    threads.emplace_back([&, h] {
      for (;;) {
        auto r = handles[h]->ClaimNext("h" + std::to_string(h), kT0 + 1000, kLeaseMs);
        if (!r.ok()) {
          ++errors;
          return;
        }
        if (!r->has_value()) return;
        std::lock_guard<std::mutex> lock(mu);
        claimed.push_back((*r)->id);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(claimed.size(), static_cast<size_t>(kJobs));
  EXPECT_EQ(std::set<std::string>(claimed.begin(), claimed.end()).size(),
            static_cast<size_t>(kJobs));
}

}  // namespace
}  // namespace ingestd
