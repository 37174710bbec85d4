// Alerts end to end on a running `ingestd serve`: a fake webhook receiver on a loopback port
// (tests/fakes/fake_http_server) records every POST. Budget exhaustion and the fallbacks it
// causes, breaker transitions and a dead-letter streak each reach the receiver exactly once,
// with Slack's `text` field; a receiver answering 500 and then 429 + Retry-After is retried
// without holding the pipeline up; GET /api/v1/alerts lists the same alerts (admins only).
#include <gtest/gtest.h>

#include <chrono>
#include <mutex>
#include <set>
#include <thread>

#include "core/jwt.h"
#include "harness/test_support.h"
#include "tests/fakes/fake_http_server.h"
#include "tests/fakes/fake_openai_server.h"

namespace ingestd::itest {
namespace {

using fakes::EmbedFault;

constexpr char kOpenAiKey[] = "sk-fake-0123456789abcdef";

int64_t SteadyMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// Records every POST; answers each with the next scripted reply (200 once the script ends).
class WebhookReceiver {
 public:
  struct Received {
    int64_t at_ms = 0;  // steady clock
    int status = 0;     // what the receiver answered
    std::string alert_id;
    json body;
  };

  explicit WebhookReceiver(std::vector<fakes::FakeReply> script = {})
      : script_(std::move(script)),
        server_([this](const fakes::FakeRequest& r) { return Answer(r); }, 1'000) {}

  std::string url() const { return server_.base_url() + "/hooks/alerts"; }

  std::vector<Received> received() const {
    std::lock_guard lock(mu_);
    return received_;
  }
  // The bodies' alerts the receiver accepted (answered 200), in arrival order.
  std::vector<json> Accepted() const {
    std::vector<json> out;
    for (const Received& r : received()) {
      if (r.status == 200) out.push_back(r.body["alert"]);
    }
    return out;
  }
  // Waits until every kind in `kinds` was accepted at least once.
  bool WaitForKinds(const std::set<std::string>& kinds, int timeout_ms) const {
    const int64_t deadline = SteadyMs() + timeout_ms;
    while (SteadyMs() < deadline) {
      std::set<std::string> seen;
      for (const json& a : Accepted()) seen.insert(a.value("kind", ""));
      if (std::includes(seen.begin(), seen.end(), kinds.begin(), kinds.end())) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }
  bool WaitForRequests(size_t n, int timeout_ms) const {
    const int64_t deadline = SteadyMs() + timeout_ms;
    while (received().size() < n && SteadyMs() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return received().size() >= n;
  }

 private:
  fakes::FakeReply Answer(const fakes::FakeRequest& r) {
    std::lock_guard lock(mu_);
    fakes::FakeReply reply;
    reply.body = "ok";
    if (next_ < script_.size()) reply = script_[next_++];
    Received rec{SteadyMs(), reply.status, r.Header("x-ingestd-alert-id"),
                 json::parse(r.body, nullptr, false)};
    if (r.method != "POST" || r.target != "/hooks/alerts") rec.status = -1;  // flagged below
    received_.push_back(std::move(rec));
    return reply;
  }

  mutable std::mutex mu_;
  std::vector<fakes::FakeReply> script_;  // guarded by mu_
  size_t next_ = 0;                       // guarded by mu_
  std::vector<Received> received_;        // guarded by mu_
  fakes::FakeHttpServer server_;          // last: stopped first, while the rest still lives
};

std::string AdminToken() {
  return SignJwt({.sub = "ops", .role = "admin", .exp = std::time(nullptr) + 3600}, kTestJwtSecret);
}

std::vector<json> Filter(const std::vector<json>& alerts, const std::string& kind) {
  std::vector<json> out;
  for (const json& a : alerts) {
    if (a.value("kind", "") == kind) out.push_back(a);
  }
  return out;
}

// Every request was a POST to the hook path carrying the Slack text and a structured alert,
// and no alert was accepted twice.
void ExpectWellFormedAndDeliveredOnce(const WebhookReceiver& receiver) {
  std::set<std::string> accepted, seen;
  for (const auto& r : receiver.received()) {
    EXPECT_NE(r.status, -1) << "wrong method or path";
    ASSERT_TRUE(r.body.is_object());
    ASSERT_TRUE(r.body["text"].is_string()) << r.body.dump();
    EXPECT_NE(r.body["text"].get<std::string>().find("[ingestd]"), std::string::npos);
    const json& a = r.body["alert"];
    EXPECT_EQ(a["id"], r.alert_id) << "X-Ingestd-Alert-Id names the alert";
    for (const char* field : {"kind", "scope", "metric", "severity", "message", "at"}) {
      EXPECT_TRUE(a[field].is_string()) << field << " in " << a.dump();
    }
    EXPECT_TRUE(a["value"].is_number() && a["threshold"].is_number()) << a.dump();
    seen.insert(r.alert_id);
    if (r.status == 200) {
      EXPECT_TRUE(accepted.insert(r.alert_id).second) << "twice: " << a.dump();
    }
  }
  EXPECT_EQ(accepted, seen) << "every alert was eventually delivered";
}

class AlertsTest : public ServerTest {
 protected:
  std::map<std::string, std::string> HybridEnv() const {
    return {{"EMBED_MODE", "hybrid"},
            {"OPENAI_API_KEY", kOpenAiKey},
            {"OPENAI_BASE_URL", openai_.base_url()},
            {"INGESTD_WORKERS", "1"},
            {"INGESTD_ALERT_WEBHOOK_URL", receiver_->url()},
            {"INGESTD_ALERT_RETRY_BASE_MS", "100"}};
  }
  std::string UploadAndWait(const std::string& tag, bool complete = true) {
    HttpResponse up = UploadOneShot(*client_, token_, "R-FAQ.pdf", TaggedPdf(kRFaqPdf, tag));
    EXPECT_EQ(up.status, 202) << up.Describe();
    const std::string job_id = up.Json().value("job_id", "");
    WaitResult done = WaitForJob(*client_, token_, job_id, complete ? IsComplete : IsSettled);
    EXPECT_TRUE(done.met) << done.view.dump();
    return job_id;
  }
  json JobView(const std::string& id) { return client_->Get("/api/v1/jobs/" + id, token_).Json(); }

  fakes::FakeOpenAiServer openai_;
  std::unique_ptr<WebhookReceiver> receiver_ = std::make_unique<WebhookReceiver>();
};

// The embed budget allows two requests: the third job's reservation is refused, hybrid mode
// falls back, and the budget and fallback-rate alerts go out. The receiver fails the first
// attempt with 500 and the second with 429 + Retry-After: 6; jobs keep completing meanwhile.
class BudgetAlertsTest : public AlertsTest {
 protected:
  void SetUp() override {
    fakes::FakeReply fail, limited;
    fail.status = 500;
    limited.status = 429;
    limited.headers = {{"Retry-After", "6"}};
    receiver_ = std::make_unique<WebhookReceiver>(std::vector<fakes::FakeReply>{fail, limited});
    AlertsTest::SetUp();
  }
  std::map<std::string, std::string> ServerEnv() const override {
    auto env = HybridEnv();
    env["INGESTD_BUDGET_EMBED_HOURLY_REQUESTS"] = "2";
    env["INGESTD_ALERT_FALLBACK_RATE"] = "0.5";
    env["INGESTD_ALERT_MIN_EVENTS"] = "4";
    return env;
  }
};

TEST_F(BudgetAlertsTest, BudgetAndFallbackAlertsAreDeliveredOnceDespiteAFailingReceiver) {
  const std::string a = UploadAndWait("budget-a");
  const std::string b = UploadAndWait("budget-b");  // the second and last real request
  ASSERT_TRUE(receiver_->WaitForRequests(2, 20'000)) << "500, then 429";
  const int64_t throttled_at = receiver_->received()[1].at_ms;
  // The first alert now waits out the Retry-After: the pipeline runs on regardless.
  const std::string c = UploadAndWait("budget-c");
  const std::string d = UploadAndWait("budget-d");
  const int64_t jobs_done_at = SteadyMs();
  ASSERT_TRUE(receiver_->WaitForKinds(
      {"budget_pct80", "budget_pct95", "budget_exhausted", "fallback_rate_high"}, 30'000));

  const auto received = receiver_->received();
  ASSERT_GE(received.size(), 3u);
  EXPECT_EQ(received[0].status, 500);
  EXPECT_EQ(received[1].status, 429);
  EXPECT_EQ(received[2].status, 200);
  EXPECT_EQ(received[0].alert_id, received[1].alert_id);
  EXPECT_EQ(received[1].alert_id, received[2].alert_id) << "the head alert is retried first";
  EXPECT_GE(received[2].at_ms - throttled_at, 5'900) << "Retry-After: 6 was honoured";
  if (jobs_done_at - throttled_at < 5'900) {
    EXPECT_GT(received[2].at_ms, jobs_done_at) << "jobs completed while delivery waited";
  }
  ExpectWellFormedAndDeliveredOnce(*receiver_);

  const auto accepted = receiver_->Accepted();
  for (const char* kind : {"budget_pct80", "budget_pct95", "budget_exhausted"}) {
    auto alerts = Filter(accepted, kind);
    ASSERT_EQ(alerts.size(), 1u) << kind;
    EXPECT_EQ(alerts[0]["scope"], "embed");
    EXPECT_EQ(alerts[0]["metric"], "requests");
    EXPECT_EQ(alerts[0]["threshold"], 2.0);
  }
  auto fallback = Filter(accepted, "fallback_rate_high");
  ASSERT_EQ(fallback.size(), 1u);
  EXPECT_EQ(fallback[0]["scope"], "embed");
  EXPECT_EQ(fallback[0]["job_id"], d) << "the fourth embed call (2 of 4 fell back) crossed 0.5";
  EXPECT_EQ(fallback[0]["correlation_id"], JobView(d)["correlation_id"]);
  EXPECT_DOUBLE_EQ(fallback[0]["value"].get<double>(), 0.5);
  for (const std::string& job : {a, b, c, d}) EXPECT_TRUE(IsComplete(JobView(job))) << job;

  // The budget alerts sit on the job whose call raised them, and in the admin's list.
  auto pct80 = Filter(accepted, "budget_pct80")[0];
  ASSERT_TRUE(pct80["job_id"] == a || pct80["job_id"] == b) << pct80.dump();
  auto codes = EventCodes(GetEvents(*client_, token_, pct80["job_id"].get<std::string>()));
  EXPECT_NE(std::find(codes.begin(), codes.end(), "BUDGET_ALERT"), codes.end()) << Join(codes);
  HttpResponse list = client_->Get("/api/v1/alerts", AdminToken());
  ASSERT_EQ(list.status, 200) << list.body;
  std::set<std::string> listed, delivered;
  const json body = list.Json();
  for (const json& x : body["alerts"]) listed.insert(x["id"].get<std::string>());
  for (const json& x : accepted) delivered.insert(x["id"].get<std::string>());
  EXPECT_EQ(listed, delivered);
}

class BreakerAlertsTest : public AlertsTest {
 protected:
  std::map<std::string, std::string> ServerEnv() const override {
    auto env = HybridEnv();
    env["INGESTD_BREAKER_FAILURES"] = "2";
    env["INGESTD_BREAKER_OPEN_MS"] = "1500";
    env["INGESTD_PROBE_INTERVAL_MS"] = "0";
    return env;
  }
};

TEST_F(BreakerAlertsTest, OpenedAndClosedAreEachDeliveredOnceWithTheTrippingJob) {
  openai_.PushFaults({{EmbedFault::kQuota, "", "", ""}, {EmbedFault::kQuota, "", "", ""}});
  UploadAndWait("breaker-a");                        // one failure: falls back
  const std::string b = UploadAndWait("breaker-b");  // the second opens the breaker
  UploadAndWait("breaker-c");                        // refused by the open breaker
  std::this_thread::sleep_for(std::chrono::milliseconds(1'600));
  const std::string d = UploadAndWait("breaker-d");  // the half-open probe succeeds
  ASSERT_TRUE(receiver_->WaitForKinds({"breaker_opened", "breaker_closed"}, 20'000));
  ExpectWellFormedAndDeliveredOnce(*receiver_);
  const auto accepted = receiver_->Accepted();
  auto opened = Filter(accepted, "breaker_opened");
  auto closed = Filter(accepted, "breaker_closed");
  ASSERT_EQ(opened.size(), 1u);
  ASSERT_EQ(closed.size(), 1u);
  EXPECT_EQ(opened[0]["scope"], "embed");
  EXPECT_EQ(opened[0]["severity"], "critical");
  EXPECT_EQ(opened[0]["job_id"], b);
  EXPECT_EQ(opened[0]["correlation_id"], JobView(b)["correlation_id"]);
  EXPECT_EQ(closed[0]["job_id"], d);
  EXPECT_LT(opened[0]["at"].get<std::string>(), closed[0]["at"].get<std::string>());
}

class DeadLetterAlertsTest : public AlertsTest {
 protected:
  std::map<std::string, std::string> ServerEnv() const override {
    return {{"INGESTD_MOCK_PARSE_FAULTS", "permanent"},
            {"INGESTD_WORKERS", "1"},
            {"INGESTD_ALERT_WEBHOOK_URL", receiver_->url()},
            {"INGESTD_ALERT_DEADLETTER_RATE", "0.5"},
            {"INGESTD_ALERT_MIN_EVENTS", "2"}};
  }
};

TEST_F(DeadLetterAlertsTest, ADeadLetterStreakRaisesOneAlertListedForAdminsOnly) {
  std::vector<std::string> jobs;
  for (int i = 0; i < 3; ++i) jobs.push_back(UploadAndWait("dead-" + std::to_string(i), false));
  ASSERT_TRUE(receiver_->WaitForKinds({"dead_letter_rate_high"}, 20'000));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // nothing else may follow
  ExpectWellFormedAndDeliveredOnce(*receiver_);
  ASSERT_EQ(receiver_->Accepted().size(), 1u) << "one alert per crossing";

  EXPECT_EQ(client_->Get("/api/v1/alerts", token_).status, 403);
  HttpResponse list = client_->Get("/api/v1/alerts?kind=dead_letter_rate_high", AdminToken());
  ASSERT_EQ(list.status, 200) << list.body;
  const json alerts = list.Json()["alerts"];
  ASSERT_EQ(alerts.size(), 1u) << alerts.dump();
  const json& a = alerts[0];
  EXPECT_EQ(a["scope"], "pipeline");
  EXPECT_EQ(a["metric"], "rate");
  EXPECT_DOUBLE_EQ(a["value"].get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(a["threshold"].get<double>(), 0.5);
  EXPECT_TRUE(IsRfc3339Utc(a["at"])) << a.dump();
  EXPECT_EQ(a["job_id"], jobs[1]) << "the second dead letter crossed the rate";
  EXPECT_EQ(a["correlation_id"], JobView(jobs[1])["correlation_id"]);
  auto codes = EventCodes(GetEvents(*client_, token_, jobs[1]));
  EXPECT_NE(std::find(codes.begin(), codes.end(), "DEAD_LETTER_RATE_HIGH"), codes.end())
      << Join(codes);
  EXPECT_EQ(client_->Get("/api/v1/alerts?since=x", AdminToken()).status, 400);
}

}  // namespace
}  // namespace ingestd::itest
