// Conformance: the completion-callback outbox (migration v7). A job carrying a callback URL
// leaves exactly one outbox row in the transaction that ends it (completed or dead-lettered,
// none when that transaction fails), claims hold a lease no other deliverer shares, a
// failed attempt keeps the first body and its webhook id, and a finished row is gone with
// its event appended.
#include <algorithm>
#include <mutex>
#include <set>
#include <thread>

#include "store/store_conformance.h"

namespace ingestd {
namespace {

constexpr char kUrl[] = "https://receiver.example/hooks";
constexpr int64_t kLease = 10'000;

Event CallbackEvent(const CallbackMessage& m, const std::string& code, int64_t at_ms) {
  return Event{
      0, m.job_id, m.correlation_id, "callback", code, "", {{"webhook_id", m.webhook_id}}, at_ms};
}

}  // namespace

Job StoreCallbackTest::ClaimedJobWithCallback(int64_t now_ms) {
  Document doc = MakeDocument("u1");
  Job job = MakeJob(doc);
  job.callback_url = kUrl;
  auto up = store_->CreateUpload(doc, job, now_ms);
  EXPECT_TRUE(up.ok()) << up.status().ToString();
  return MustClaim("w", now_ms);
}

void StoreCallbackTest::Complete(const Job& job, int64_t now_ms) {
  StageCommit c = MakeCommit(job.id, "w", JobStatus::kComplete, QueueState::kDone);
  c.now_ms = now_ms;
  ASSERT_TRUE(store_->CommitStage(c).ok());
}

std::vector<CallbackMessage> StoreCallbackTest::Claim(Store& store, const std::string& who,
                                                      int64_t now_ms, int limit) {
  auto r = store.ClaimCallbacks(who, now_ms, kLease, limit);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : std::vector<CallbackMessage>{};
}

TEST_P(StoreCallbackTest, TheFinalTransactionQueuesOneMessagePerJobEnd) {
  Job done = ClaimedJobWithCallback(kT0);
  Complete(done, kT0 + 5);
  Job failed = ClaimedJobWithCallback(kT0 + 10);
  ASSERT_TRUE(store_->DeadLetter(failed.id, "w", kParseTimeout, kT0 + 20).ok());
  // Without a callback URL, and a stage that does not end the job: nothing.
  Upload("u1", kT0 + 30);
  Job silent = MustClaim("w", kT0 + 30);
  Complete(silent, kT0 + 31);
  Job going = ClaimedJobWithCallback(kT0 + 40);
  ASSERT_TRUE(
      store_->CommitStage(MakeCommit(going.id, "w", JobStatus::kParsed, QueueState::kQueued)).ok());

  std::vector<CallbackMessage> got = Claim(*OpenAgain(), "d1", kT0 + 100);
  ASSERT_EQ(got.size(), 2u);
  std::sort(got.begin(), got.end(), [](auto& a, auto& b) { return a.id < b.id; });
  EXPECT_EQ(got[0].job_id, done.id);
  EXPECT_EQ(got[0].type, "job.completed");
  EXPECT_EQ(got[0].created_at_ms, kT0 + 5);
  EXPECT_EQ(got[1].job_id, failed.id);
  EXPECT_EQ(got[1].type, "job.failed");
  for (const CallbackMessage& m : got) {
    EXPECT_EQ(m.url, kUrl);
    EXPECT_EQ(m.user_id, "u1");
    EXPECT_EQ(m.correlation_id, store_->GetJobUnscoped(m.job_id)->correlation_id);
    EXPECT_EQ(m.attempts, 1);
    EXPECT_TRUE(m.body.empty());
    EXPECT_EQ(m.webhook_id, "msg_" + m.job_id + "_" + std::to_string(m.id));
  }
}

TEST_P(StoreCallbackTest, AFailedFinalTransactionQueuesNothing) {
  Job job = ClaimedJobWithCallback(kT0);
  StageCommit stolen = MakeCommit(job.id, "intruder", JobStatus::kComplete, QueueState::kDone);
  EXPECT_EQ(store_->CommitStage(stolen).code(), "LEASE_LOST");
  EXPECT_EQ(store_->DeadLetter(job.id, "intruder", kParseTimeout, kT0).code(), "LEASE_LOST");
  EXPECT_TRUE(Claim(*store_, "d1", kT0 + 100).empty());
}

TEST_P(StoreCallbackTest, AClaimIsLeasedAndAnExpiredLeaseIsTakenOver) {
  Job job = ClaimedJobWithCallback(kT0);
  Complete(job, kT0);
  std::vector<CallbackMessage> first = Claim(*store_, "d1", kT0 + 1);
  ASSERT_EQ(first.size(), 1u);
  EXPECT_TRUE(Claim(*store_, "d2", kT0 + 1 + kLease - 1).empty());
  std::vector<CallbackMessage> second = Claim(*store_, "d2", kT0 + 1 + kLease);
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[0].webhook_id, first[0].webhook_id);
  EXPECT_EQ(second[0].attempts, 2);
  // The first deliverer's lease is gone: it can neither reschedule nor finish the row.
  EXPECT_EQ(store_->RescheduleCallback(first[0].id, "d1", kT0 + 50'000, "x").code(), "LEASE_LOST");
  EXPECT_EQ(store_->FinishCallback(first[0].id, "d1", CallbackEvent(first[0], "X", kT0)).code(),
            "LEASE_LOST");
  EXPECT_TRUE(store_->FinishCallback(second[0].id, "d2", CallbackEvent(second[0], "X", kT0)).ok());
}

TEST_P(StoreCallbackTest, ARescheduledMessageKeepsItsFirstBodyAndWaits) {
  Job job = ClaimedJobWithCallback(kT0);
  Complete(job, kT0);
  CallbackMessage m = Claim(*store_, "d1", kT0).at(0);
  ASSERT_TRUE(store_->RescheduleCallback(m.id, "d1", kT0 + 1'000, "{\"first\":1}").ok());
  EXPECT_TRUE(Claim(*store_, "d1", kT0 + 999).empty());
  CallbackMessage again = Claim(*store_, "d2", kT0 + 1'000).at(0);
  EXPECT_EQ(again.body, "{\"first\":1}");
  EXPECT_EQ(again.webhook_id, m.webhook_id);
  ASSERT_TRUE(store_->RescheduleCallback(again.id, "d2", kT0 + 2'000, "{\"second\":2}").ok());
  EXPECT_EQ(Claim(*store_, "d1", kT0 + 2'000).at(0).body, "{\"first\":1}");
}

TEST_P(StoreCallbackTest, FinishingRemovesTheMessageAndAppendsItsEvent) {
  Job job = ClaimedJobWithCallback(kT0);
  Complete(job, kT0);
  CallbackMessage m = Claim(*store_, "d1", kT0).at(0);
  ASSERT_TRUE(store_->FinishCallback(m.id, "d1", CallbackEvent(m, "CALLBACK_DELIVERED", kT0)).ok());
  EXPECT_EQ(EventCodes("u1", job.id).back(), "CALLBACK_DELIVERED");
  EXPECT_TRUE(Claim(*store_, "d1", kT0 + 10 * kLease).empty());
  EXPECT_EQ(store_->FinishCallback(m.id, "d1", CallbackEvent(m, "X", kT0)).code(), "LEASE_LOST");
}

TEST_P(StoreCallbackTest, DeletingTheDocumentDropsItsMessages) {
  Job job = ClaimedJobWithCallback(kT0);
  Complete(job, kT0);
  ASSERT_TRUE(store_->DeleteDocument("u1", job.document_id).ok());
  EXPECT_TRUE(Claim(*store_, "d1", kT0 + 1).empty());
}

TEST_P(StoreCallbackTest, ConcurrentDeliverersNeverHoldTheSameMessage) {
  constexpr int kJobs = 12, kThreads = 4;
  for (int i = 0; i < kJobs; ++i) Complete(ClaimedJobWithCallback(kT0 + i), kT0 + i);
  std::mutex mu;
  std::multiset<int64_t> claimed;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::unique_ptr<Store> other = OpenAgain();
      for (int round = 0; round < kJobs; ++round) {
        for (const CallbackMessage& m : Claim(*other, "d" + std::to_string(t), kT0 + 100, 1)) {
          std::lock_guard<std::mutex> lock(mu);
          claimed.insert(m.id);
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(claimed.size(), static_cast<size_t>(kJobs));
  EXPECT_EQ(std::set<int64_t>(claimed.begin(), claimed.end()).size(), claimed.size());
}

}  // namespace ingestd
