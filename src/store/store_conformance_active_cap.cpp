// Conformance: CreateUpload's cap on a user's active jobs (max_active_jobs) and
// CountActiveJobs, including concurrent uploads through two handles (two processes).
#include <atomic>
#include <thread>
#include <vector>

#include "store/store_conformance.h"

namespace ingestd {
namespace {

constexpr char kCapCode[] = "ACTIVE_JOBS_LIMIT_EXCEEDED";

TEST_P(StoreConformanceTest, ActiveJobCapRefusesANewUploadAndStoresNothing) {
  Upload("u1", kT0);
  Upload("u1", kT0 + 1, JobStatus::kAwaitingUpload);  // a declared upload counts too
  EXPECT_EQ(*store_->CountActiveJobs("u1"), 2);
  Document doc = MakeDocument("u1");
  auto refused = store_->CreateUpload(doc, MakeJob(doc), kT0 + 2, /*max_active_jobs=*/2);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().kind(), Kind::kRateLimited);
  EXPECT_EQ(refused.status().code(), kCapCode);
  EXPECT_TRUE(refused.status().retryable());
  EXPECT_EQ(store_->GetDocument("u1", doc.id).status().code(), "DOCUMENT_NOT_FOUND");
  EXPECT_EQ(store_->ListJobs("u1", {})->size(), 2u);
  // Under a higher cap, and for another user, the same upload goes through.
  Document d2 = MakeDocument("u2");
  EXPECT_TRUE(store_->CreateUpload(d2, MakeJob(d2), kT0 + 3, 2).ok());
  EXPECT_TRUE(store_->CreateUpload(doc, MakeJob(doc), kT0 + 4, 3).ok());
  EXPECT_EQ(*store_->CountActiveJobs("u1"), 3);
}

TEST_P(StoreConformanceTest, ADuplicateIsAnsweredAtTheCap) {
  CreateUploadResult first = Upload("u1", kT0);
  Document again = MakeDocument("u1", first.document.sha256);
  auto r = store_->CreateUpload(again, MakeJob(again), kT0 + 1, /*max_active_jobs=*/1);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->duplicate);
  EXPECT_EQ(r->job.id, first.job.id);
}

TEST_P(StoreConformanceTest, DoneAndDeadletterJobsAreNotActive) {
  CreateUploadResult a = Upload("u1", kT0);
  Job claimed = MustClaim("w1", kT0 + 1);
  ASSERT_EQ(claimed.id, a.job.id);
  ASSERT_TRUE(
      store_->ScheduleRetry(a.job.id, "w1", kT0 + 10, {"X", "x", "parse", kT0 + 1}, kT0 + 1, true)
          .ok());
  EXPECT_EQ(*store_->CountActiveJobs("u1"), 1);  // retryable is still active
  claimed = MustClaim("w1", kT0 + 20);
  ASSERT_TRUE(store_->DeadLetter(a.job.id, "w1", {"X", "x", "parse", kT0 + 20}, kT0 + 20).ok());
  EXPECT_EQ(*store_->CountActiveJobs("u1"), 0);

  Document b = MakeDocument("u1");
  ASSERT_TRUE(store_->CreateUpload(b, MakeJob(b), kT0 + 30, /*max_active_jobs=*/1).ok());
  claimed = MustClaim("w1", kT0 + 31);
  ASSERT_EQ(claimed.document_id, b.id);
  ASSERT_TRUE(
      store_->CommitStage(MakeCommit(claimed.id, "w1", JobStatus::kComplete, QueueState::kDone))
          .ok());
  EXPECT_EQ(*store_->CountActiveJobs("u1"), 0);
  Document c = MakeDocument("u1");
  EXPECT_TRUE(store_->CreateUpload(c, MakeJob(c), kT0 + 40, /*max_active_jobs=*/1).ok());
}

TEST_P(StoreConformanceTest, ConcurrentUploadsThroughTwoHandlesNeverExceedTheCap) {
  constexpr int kCap = 5, kThreads = 8, kUploadsPerThread = 4;
  std::unique_ptr<Store> second = OpenAgain();
  ASSERT_TRUE(second);
  std::atomic<int> created{0}, refused{0}, failed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      Store& store = t % 2 == 0 ? *store_ : *second;
      for (int i = 0; i < kUploadsPerThread; ++i) {
        Document d = MakeDocument("u1");
        auto r = store.CreateUpload(d, MakeJob(d), kT0 + i, kCap);
        if (r.ok()) {
          ++created;
        } else if (r.status().code() == kCapCode) {
          ++refused;
        } else {
          ++failed;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(created.load(), kCap);
  EXPECT_EQ(refused.load(), kThreads * kUploadsPerThread - kCap);
  EXPECT_EQ(*store_->CountActiveJobs("u1"), kCap);
}

}  // namespace
}  // namespace ingestd
