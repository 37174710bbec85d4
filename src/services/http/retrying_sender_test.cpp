#include "services/http/retrying_sender.h"

#include <gtest/gtest.h>

#include <deque>
#include <map>

namespace ingestd::http {
namespace {

// Answers each URL from its own script of results; the last entry repeats.
class ScriptedClient final : public HttpClient {
 public:
  void Script(const std::string& url, std::vector<Result<HttpResponse>> results) {
    scripts_[url] = std::deque<Result<HttpResponse>>(results.begin(), results.end());
  }
  std::vector<Result<HttpResponse>> SendAll(std::span<const HttpRequest> requests,
                                            const HttpTimeouts&) override {
    std::vector<Result<HttpResponse>> out;
    waves.push_back(requests.size());
    for (const HttpRequest& r : requests) {
      auto& q = scripts_.at(r.url);
      out.push_back(q.front());
      if (q.size() > 1) q.pop_front();
    }
    return out;
  }
  std::vector<size_t> waves;

 private:
  std::map<std::string, std::deque<Result<HttpResponse>>> scripts_;
};

HttpResponse Resp(long status, Headers headers = {}, std::string body = "") {
  HttpResponse r;
  r.status = status;
  r.headers = std::move(headers);
  r.body = std::move(body);
  return r;
}

Status Classify(size_t, const HttpResponse& r) {
  if (r.status == 200) return Status();
  if (IsTransientHttpStatus(r.status)) {
    return Status::Error(Kind::kUpstream, "UPSTREAM_" + std::to_string(r.status), "busy", true);
  }
  return Status::Error(Kind::kUpstream, "UPSTREAM_BAD_REQUEST", "no");
}

class RetryingSenderTest : public ::testing::Test {
 protected:
  RetryingSenderTest() {
    policy.backoff = {
        .base_delay_ms = 100, .max_delay_ms = 5'000, .multiplier = 2.0, .jitter = Jitter::kNone};
    policy.max_attempts = 4;
    policy.max_total_wait_ms = 10'000;
  }
  Result<std::vector<HttpResponse>> Send(std::vector<std::string> urls) {
    std::vector<HttpRequest> reqs;
    for (auto& u : urls) {
      HttpRequest req;
      req.method = "POST";
      req.url = u;
      reqs.push_back(req);
    }
    return SendWithRetry({&client, &env, &clock}, reqs, {}, policy, Classify, &stats);
  }
  ScriptedClient client;
  FakeRetryEnv env;
  FakeClock clock;
  RetryPolicy policy;
  SendStats stats;
};

TEST_F(RetryingSenderTest, ExponentialDelaysWithoutHints) {
  client.Script("a", {Resp(503), Resp(500), Resp(200, {}, "ok")});
  auto r = Send({"a"});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->at(0).body, "ok");
  EXPECT_EQ(env.sleeps(), (std::vector<int64_t>{100, 200}));
  EXPECT_EQ(stats.requests_sent, 3);
}

TEST_F(RetryingSenderTest, HonoursRetryAfterAndRetryAfterMs) {
  client.Script(
      "a",
      {Resp(429, {{"retry-after", "2"}}), Resp(429, {{"retry-after-ms", "30"}}),
       Resp(429, {{"x-ratelimit-remaining-tokens", "0"}, {"x-ratelimit-reset-tokens", "1.5s"}}),
       Resp(200)});
  ASSERT_TRUE(Send({"a"}).ok());
  // max(backoff, hint): 2000 > 100; 200 > 30; the reset of a limit is no hint: 400.
  EXPECT_EQ(env.sleeps(), (std::vector<int64_t>{2'000, 200, 400}));
}

TEST_F(RetryingSenderTest, OnlyFailedRequestsAreResent) {
  client.Script("a", {Resp(200, {}, "A")});
  client.Script("b", {Resp(503), Resp(200, {}, "B")});
  client.Script("c", {Resp(200, {}, "C")});
  auto r = Send({"a", "b", "c"});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->at(0).body, "A");
  EXPECT_EQ(r->at(1).body, "B");
  EXPECT_EQ(r->at(2).body, "C");
  EXPECT_EQ(client.waves, (std::vector<size_t>{3, 1}));
}

TEST_F(RetryingSenderTest, NonRetryableFailsAtOnce) {
  client.Script("a", {Resp(400), Resp(200)});
  auto r = Send({"a"});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), "UPSTREAM_BAD_REQUEST");
  EXPECT_TRUE(env.sleeps().empty());
  EXPECT_EQ(stats.requests_sent, 1);
}

TEST_F(RetryingSenderTest, TransportErrorsRetry) {
  client.Script("a", {Status::Unavailable("UPSTREAM_TIMEOUT", "slow"), Resp(200)});
  ASSERT_TRUE(Send({"a"}).ok());
  EXPECT_EQ(env.sleeps(), (std::vector<int64_t>{100}));
}

TEST_F(RetryingSenderTest, AttemptCapReturnsRetryableErrorWithNextDelay) {
  client.Script("a", {Resp(503)});
  auto r = Send({"a"});
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().retryable());
  EXPECT_EQ(r.status().code(), "UPSTREAM_503");
  EXPECT_EQ(stats.requests_sent, 4);
  EXPECT_EQ(env.sleeps(), (std::vector<int64_t>{100, 200, 400}));
  EXPECT_EQ(r.status().retry_after_ms(), 800);
}

TEST_F(RetryingSenderTest, HintBeyondTheCapIsHandedBackNotSlept) {
  client.Script("a", {Resp(429, {{"retry-after", "60"}})});
  auto r = Send({"a"});
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(env.sleeps().empty());
  EXPECT_EQ(r.status().retry_after_ms(), 60'000);
}

TEST_F(RetryingSenderTest, ALongServerHintIsCappedAtTwoMinutes) {
  client.Script("a", {Resp(503, {{"retry-after", "86400"}})});
  auto r = Send({"a"});
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(env.sleeps().empty());
  EXPECT_EQ(r.status().retry_after_ms(), 120'000);
}

TEST_F(RetryingSenderTest, AFullResetIsNotWaitedOutForOneRequest) {
  client.Script(
      "a",
      {Resp(429, {{"x-ratelimit-remaining-requests", "0"}, {"x-ratelimit-reset-requests", "6m0s"}}),
       Resp(200)});
  ASSERT_TRUE(Send({"a"}).ok());
  EXPECT_EQ(env.sleeps(), (std::vector<int64_t>{100}));
}

TEST_F(RetryingSenderTest, TotalWaitBudget) {
  policy.max_total_wait_ms = 250;
  client.Script("a", {Resp(503)});
  auto r = Send({"a"});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(env.sleeps(), (std::vector<int64_t>{100}));  // 100 + 200 would exceed 250
}

TEST_F(RetryingSenderTest, EqualJitterStaysWithinBounds) {
  policy.backoff.jitter = Jitter::kEqual;
  FakeRetryEnv half(0.5);
  client.Script("a", {Resp(503), Resp(503), Resp(200)});
  std::vector<HttpRequest> reqs(1);
  reqs[0].url = "a";
  ASSERT_TRUE(SendWithRetry({&client, &half, &clock}, reqs, {}, policy, Classify).ok());
  EXPECT_EQ(half.sleeps(), (std::vector<int64_t>{75, 150}));
}

}  // namespace
}  // namespace ingestd::http
