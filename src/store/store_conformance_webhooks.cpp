// Conformance: webhook deliveries (migration v5). A delivery is recorded once per
// (job, event id) however many copies arrive at once, and wakes a job waiting on its parse
// at most once per rate-limit interval.
#include <atomic>
#include <thread>

#include "store/store_conformance.h"

namespace ingestd {
namespace {

constexpr int64_t kInterval = 5'000;

Event WakeEvent(const std::string& job_id, const std::string& event_id, int64_t at_ms = 1) {
  Event e;
  e.job_id = job_id;
  e.type = "provider";
  e.code = "LLAMAPARSE_WEBHOOK";
  e.stage = "parse";
  e.payload = {{"event_id", event_id}};
  e.at_ms = at_ms;
  return e;
}

int CountWakes(Store& store, const std::string& user, const std::string& job_id) {
  auto events = store.ListEvents(user, job_id);
  EXPECT_TRUE(events.ok());
  int n = 0;
  for (const Event& e : events.ok() ? *events : std::vector<Event>{}) {
    n += e.code == "LLAMAPARSE_WEBHOOK";
  }
  return n;
}

TEST_P(StoreConformanceTest, ConcurrentDuplicateDeliveriesAreRecordedAndWakeOnce) {
  CreateUploadResult up = Upload("u1", kT0);
  constexpr int kThreads = 4, kCopies = 5;
  std::atomic<int> fresh{0}, woke{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      std::unique_ptr<Store> other = OpenAgain();
      for (int i = 0; i < kCopies; ++i) {
        auto r = other->RecordWebhookDelivery({up.job.id, "evt-1", "parse.success", kT0},
                                              WakeEvent(up.job.id, "evt-1"), kInterval);
        ASSERT_TRUE(r.ok()) << r.status().ToString();
        fresh += !r->duplicate;
        woke += r->woke;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(fresh, 1);
  EXPECT_EQ(woke, 1);
  EXPECT_EQ(CountWakes(*store_, "u1", up.job.id), 1);
}

TEST_P(StoreConformanceTest, DeliveriesWakeAJobAtMostOncePerInterval) {
  CreateUploadResult up = Upload("u1", kT0);
  const std::string id = up.job.id;
  auto deliver = [&](const std::string& event_id, int64_t at) {
    auto r = store_->RecordWebhookDelivery({id, event_id, "parse.success", at},
                                           WakeEvent(id, event_id), kInterval);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : WebhookOutcome{};
  };
  EXPECT_TRUE(deliver("a", kT0).woke);
  // Fresh event ids (as a forger would send) within the interval: recorded, no wake.
  WebhookOutcome b = deliver("b", kT0 + 1);
  EXPECT_FALSE(b.duplicate);
  EXPECT_FALSE(b.woke);
  EXPECT_FALSE(deliver("c", kT0 + kInterval - 1).woke);
  EXPECT_TRUE(deliver("d", kT0 + kInterval).woke);
  EXPECT_EQ(CountWakes(*store_, "u1", id), 2);
  // Another job's deliveries are its own: the same event id is not a duplicate there.
  CreateUploadResult other = Upload("u1", kT0);
  auto r = store_->RecordWebhookDelivery({other.job.id, "a", "parse.success", kT0 + 1},
                                         WakeEvent(other.job.id, "a"), kInterval);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->duplicate);
  EXPECT_TRUE(r->woke);
}

TEST_P(StoreConformanceTest, DeliveryForAJobNotWaitingOnItsParseWakesNothing) {
  Upload("u1", kT0);
  Job job = MustClaim("w1", kT0 + 1);
  ASSERT_TRUE(store_->DeadLetter(job.id, "w1", kParseTimeout, kT0 + 2).ok());
  auto r = store_->RecordWebhookDelivery({job.id, "late", "parse.success", kT0 + 3},
                                         WakeEvent(job.id, "late"), kInterval);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->duplicate);
  EXPECT_FALSE(r->woke);
  EXPECT_EQ(CountWakes(*store_, "u1", job.id), 0);
  EXPECT_EQ(store_
                ->RecordWebhookDelivery({"no-such-job", "x", "parse.success", kT0},
                                        WakeEvent("no-such-job", "x"), kInterval)
                .status()
                .code(),
            "JOB_NOT_FOUND");
}

TEST_P(StoreConformanceTest, AParkedJobIsClaimedAtItsRetryAtOrWhenADeliveryWakesIt) {
  Upload("u1", kT0);
  Job job = MustClaim("w1", kT0 + 1);
  StageCommit park;
  park.job_id = job.id;
  park.worker_id = "w1";
  park.to = JobStatus::kParseSubmitted;
  park.next_state = QueueState::kRetryable;
  park.retry_at_ms = kT0 + 60'000;
  park.now_ms = kT0 + 2;
  ASSERT_TRUE(store_->CommitStage(park).ok());
  auto parked = store_->GetJobUnscoped(job.id);
  ASSERT_TRUE(parked.ok());
  EXPECT_EQ(parked->status, JobStatus::kParseSubmitted);
  EXPECT_EQ(parked->state, QueueState::kRetryable);
  EXPECT_EQ(parked->retry_count, 0);  // parking is no failed attempt
  EXPECT_FALSE(parked->last_error.has_value());
  // The claim is released and nothing is due yet.
  auto none = store_->ClaimNext("w2", kT0 + 1'000, kLeaseMs);
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  // A delivery brings the next poll to now.
  auto r = store_->RecordWebhookDelivery({job.id, "e1", "parse.success", kT0 + 2'000},
                                         WakeEvent(job.id, "e1"), kInterval);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->woke);
  Job resumed = MustClaim("w2", kT0 + 2'000);
  EXPECT_EQ(resumed.id, job.id);
  EXPECT_EQ(resumed.status, JobStatus::kParseSubmitted);
  // Parked again, it is claimed when its retry_at comes.
  park.worker_id = "w2";
  park.retry_at_ms = kT0 + 10'000;
  ASSERT_TRUE(store_->CommitStage(park).ok());
  auto early = store_->ClaimNext("w3", kT0 + 9'999, kLeaseMs);
  ASSERT_TRUE(early.ok());
  EXPECT_FALSE(early->has_value());
  EXPECT_EQ(MustClaim("w3", kT0 + 10'000).id, job.id);
}

}  // namespace
}  // namespace ingestd
