// AlertDispatcher (queue bound, retry schedule, give-up rules, background delivery) and
// WebhookSender (request shape, status classification) under a FakeClock.
#include <gtest/gtest.h>

#include <atomic>
#include <deque>
#include <future>
#include <stdexcept>

#include "alerts/alert_dispatcher.h"
#include "alerts/webhook_sender.h"

namespace ingestd {
namespace {

Alert MakeAlert(const std::string& id) {
  Alert a;
  a.id = id;
  a.kind = "breaker_opened";
  a.scope = "embed";
  a.severity = "critical";
  a.message = "The embed circuit breaker opened";
  a.correlation_id = "corr-" + id;
  a.at_ms = 1;
  return a;
}

AttemptResult Outcome(AttemptResult::Outcome o, long status,
                      std::optional<int64_t> retry_after = std::nullopt) {
  return {o, status, retry_after,
          status ? "HTTP_" + std::to_string(status) : "UPSTREAM_CONNECTION"};
}

class DispatcherTest : public ::testing::Test {
 protected:
  // Jitter off and a fixed draw, so delays are exact.
  DispatcherOptions Options() {
    DispatcherOptions o;
    o.queue_capacity = 3;
    o.max_attempts = 4;
    o.max_age_ms = 60'000;
    o.backoff = {
        .base_delay_ms = 1'000, .max_delay_ms = 8'000, .multiplier = 2.0, .jitter = Jitter::kNone};
    return o;
  }
  void Make(DispatcherOptions o) {
    dispatcher_ = std::make_unique<AlertDispatcher>(
        o,
        [this](const Alert& a, int64_t) {
          attempts_.push_back(a.id);
          if (script_.empty()) return Outcome(AttemptResult::kDelivered, 200);
          AttemptResult r = script_.front();
          script_.pop_front();
          return r;
        },
        &clock_, [] { return 0.0; });
  }
  // Steps the queue until it is empty, advancing the fake clock to each due time.
  void Drain() {
    for (int i = 0; i < 100; ++i) {
      auto due = dispatcher_->NextDueInMs();
      if (!due) return;
      clock_.Advance(*due);
      ASSERT_TRUE(dispatcher_->DeliverDue());
      waits_.push_back(*due);
    }
    FAIL() << "queue never drained";
  }

  FakeClock clock_;
  std::deque<AttemptResult> script_;
  std::vector<std::string> attempts_;
  std::vector<int64_t> waits_;
  std::unique_ptr<AlertDispatcher> dispatcher_;
};

TEST_F(DispatcherTest, RetriesWithBackoffHonouringRetryAfterThenDeliversOnce) {
  Make(Options());
  script_ = {Outcome(AttemptResult::kRetry, 500), Outcome(AttemptResult::kRetry, 503),
             Outcome(AttemptResult::kRetry, 429, 5'000)};
  dispatcher_->Enqueue(MakeAlert("a1"));
  EXPECT_TRUE(dispatcher_->DeliverDue());  // due at once
  EXPECT_EQ(dispatcher_->NextDueInMs(), 1'000);
  clock_.Advance(999);
  EXPECT_FALSE(dispatcher_->DeliverDue()) << "not due yet";
  clock_.Advance(1);
  Drain();
  // 1 s, then 2 s, then the receiver's 5 s (more than the 4 s backoff), then delivered.
  EXPECT_EQ(waits_, (std::vector<int64_t>{0, 2'000, 5'000}));
  EXPECT_EQ(attempts_, (std::vector<std::string>(4, "a1")));
  DispatcherStats s = dispatcher_->stats();
  EXPECT_EQ(s.delivered, 1);
  EXPECT_EQ(s.attempts, 4);
  EXPECT_EQ(s.gave_up, 0);
  EXPECT_EQ(s.queued, 0);
}

TEST_F(DispatcherTest, GivesUpAfterMaxAttempts) {
  Make(Options());
  script_.assign(10, Outcome(AttemptResult::kRetry, 0));
  dispatcher_->Enqueue(MakeAlert("a1"));
  Drain();
  EXPECT_EQ(attempts_.size(), 4u);
  EXPECT_EQ(dispatcher_->stats().gave_up, 1);
  EXPECT_EQ(dispatcher_->stats().delivered, 0);
}

TEST_F(DispatcherTest, GivesUpWhenTheNextAttemptWouldComePastMaxAge) {
  DispatcherOptions o = Options();
  o.max_attempts = 100;
  o.max_age_ms = 10'000;
  Make(o);
  // 1 s + 2 s + 4 s = 7 s waited; the next wait (8 s) would end 15 s after raising.
  script_.assign(10, Outcome(AttemptResult::kRetry, 502));
  dispatcher_->Enqueue(MakeAlert("a1"));
  Drain();
  EXPECT_EQ(attempts_.size(), 4u);
  EXPECT_EQ(dispatcher_->stats().gave_up, 1);
  // A Retry-After beyond the age limit gives up at once instead of sleeping on it.
  script_ = {Outcome(AttemptResult::kRetry, 429, 3'600'000)};
  dispatcher_->Enqueue(MakeAlert("a2"));
  Drain();
  EXPECT_EQ(attempts_.size(), 5u);
  EXPECT_EQ(dispatcher_->stats().gave_up, 2);
}

// A delivery that throws (a bug in the sender) is a transient failure, retried with backoff,
// not the end of the dispatcher thread and the process.
TEST_F(DispatcherTest, ADeliveryThatThrowsIsRetried) {
  dispatcher_ = std::make_unique<AlertDispatcher>(
      Options(),
      [this](const Alert& a, int64_t) {
        attempts_.push_back(a.id);
        if (attempts_.size() == 1) throw std::runtime_error("sender bug");
        return Outcome(AttemptResult::kDelivered, 200);
      },
      &clock_, [] { return 0.0; });
  dispatcher_->Enqueue(MakeAlert("a1"));
  Drain();
  EXPECT_EQ(attempts_, (std::vector<std::string>(2, "a1")));
  EXPECT_EQ(waits_, (std::vector<int64_t>{0, 1'000}));
  EXPECT_EQ(dispatcher_->stats().delivered, 1);
}

TEST_F(DispatcherTest, RejectedAlertIsDroppedWithoutRetry) {
  Make(Options());
  script_ = {Outcome(AttemptResult::kRejected, 400)};
  dispatcher_->Enqueue(MakeAlert("a1"));
  dispatcher_->Enqueue(MakeAlert("a2"));
  Drain();
  EXPECT_EQ(attempts_, (std::vector<std::string>{"a1", "a2"}));
  EXPECT_EQ(dispatcher_->stats().gave_up, 1);
  EXPECT_EQ(dispatcher_->stats().delivered, 1);
}

TEST_F(DispatcherTest, FullQueueDropsTheOldest) {
  Make(Options());
  for (int i = 1; i <= 5; ++i) dispatcher_->Enqueue(MakeAlert("a" + std::to_string(i)));
  DispatcherStats s = dispatcher_->stats();
  EXPECT_EQ(s.enqueued, 5);
  EXPECT_EQ(s.dropped_full, 2);
  EXPECT_EQ(s.queued, 3);
  Drain();
  EXPECT_EQ(attempts_, (std::vector<std::string>{"a3", "a4", "a5"}));
}

TEST_F(DispatcherTest, RetryingHeadKeepsRaisingOrder) {
  Make(Options());
  script_ = {Outcome(AttemptResult::kRetry, 500)};
  dispatcher_->Enqueue(MakeAlert("a1"));
  ASSERT_TRUE(dispatcher_->DeliverDue());
  dispatcher_->Enqueue(MakeAlert("a2"));
  EXPECT_FALSE(dispatcher_->DeliverDue()) << "a2 waits behind the retrying a1";
  Drain();
  EXPECT_EQ(attempts_, (std::vector<std::string>{"a1", "a1", "a2"}));
}

// The background thread delivers; Enqueue returns at once even while an attempt hangs.
TEST(DispatcherThreadTest, EnqueueNeverWaitsForADeliveryInProgress) {
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::atomic<int> delivered{0};
  DispatcherOptions o;
  o.queue_capacity = 1000;
  AlertDispatcher d(
      o,
      [&](const Alert&, int64_t) {
        released.wait();
        ++delivered;
        return Outcome(AttemptResult::kDelivered, 200);
      },
      SystemClock::Default());
  d.Start();
  d.Enqueue(MakeAlert("first"));  // the thread takes it and blocks in the attempt
  const int64_t t0 = SystemClock::Default()->MonotonicMillis();
  for (int i = 0; i < 200; ++i) d.Enqueue(MakeAlert("n" + std::to_string(i)));
  EXPECT_LT(SystemClock::Default()->MonotonicMillis() - t0, 1'000);
  release.set_value();
  for (int i = 0; i < 500 && delivered < 201; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(delivered, 201);
  d.Stop();
  EXPECT_EQ(d.stats().delivered, 201);
}

// ---- WebhookSender over a scripted HttpClient ----

class ScriptedClient final : public http::HttpClient {
 public:
  std::vector<Result<http::HttpResponse>> SendAll(std::span<const http::HttpRequest> requests,
                                                  const http::HttpTimeouts&) override {
    std::vector<Result<http::HttpResponse>> out;
    for (const auto& r : requests) {
      sent.push_back(r);
      out.push_back(next);
    }
    return out;
  }
  std::vector<http::HttpRequest> sent;
  Result<http::HttpResponse> next = http::HttpResponse{200, {}, ""};
};

TEST(WebhookSenderTest, PostsSlackTextAndTheStructuredAlert) {
  ScriptedClient client;
  WebhookSender sender("http://hooks.example/x", &client, {});
  AttemptResult r = sender.Send(MakeAlert("a1"), 0);
  EXPECT_EQ(r.outcome, AttemptResult::kDelivered);
  ASSERT_EQ(client.sent.size(), 1u);
  const http::HttpRequest& req = client.sent[0];
  EXPECT_EQ(req.method, "POST");
  EXPECT_EQ(req.url, "http://hooks.example/x");
  auto body = nlohmann::json::parse(req.body);
  EXPECT_NE(body["text"].get<std::string>().find("The embed circuit breaker opened"),
            std::string::npos);
  EXPECT_EQ(body["alert"]["id"], "a1");
  EXPECT_EQ(body["alert"]["kind"], "breaker_opened");
  EXPECT_EQ(body["alert"]["correlation_id"], "corr-a1");
  bool has_id_header = false;
  for (const auto& [k, v] : req.headers) has_id_header |= k == "X-Ingestd-Alert-Id" && v == "a1";
  EXPECT_TRUE(has_id_header);
}

TEST(WebhookSenderTest, ClassifiesStatusesAndReadsRetryAfter) {
  ScriptedClient client;
  WebhookSender sender("http://hooks.example/x", &client, {});
  client.next = http::HttpResponse{429, {{"retry-after", "2"}}, ""};
  AttemptResult r = sender.Send(MakeAlert("a"), 0);
  EXPECT_EQ(r.outcome, AttemptResult::kRetry);
  EXPECT_EQ(r.retry_after_ms, 2'000);
  client.next = http::HttpResponse{503, {}, ""};
  EXPECT_EQ(sender.Send(MakeAlert("a"), 0).outcome, AttemptResult::kRetry);
  client.next = http::HttpResponse{404, {}, ""};
  r = sender.Send(MakeAlert("a"), 0);
  EXPECT_EQ(r.outcome, AttemptResult::kRejected);
  EXPECT_EQ(r.error, "HTTP_404");
  client.next = Status::Unavailable("UPSTREAM_CONNECTION", "refused");
  EXPECT_EQ(sender.Send(MakeAlert("a"), 0).outcome, AttemptResult::kRetry);
  client.next = http::HttpResponse{204, {}, ""};
  EXPECT_EQ(sender.Send(MakeAlert("a"), 0).outcome, AttemptResult::kDelivered);
}

}  // namespace
}  // namespace ingestd
