// Upload pre-flight on a running `ingestd serve` (issue 5): every refusal with its status
// and code over sockets, nothing stored on any of them; processing_priority accepted,
// validated and honoured by the claim order; and the routing and cost facts a job records,
// visible in its view after a hybrid run that fell back.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>

#include "harness/test_support.h"
#include "tests/fakes/fake_llamaparse_server.h"
#include "tests/fakes/fake_openai_server.h"

namespace ingestd::itest {
namespace {

using fakes::EmbedFault;
using fakes::FakeLlamaParseServer;
using fakes::FakeOpenAiServer;

constexpr char kOpenAiKey[] = "sk-fake-0123456789abcdef";
constexpr char kLlamaKey[] = "llx-fake-0123456789abcdef";

// Asserts a refusal: status, code, and that the server stored nothing for it.
void ExpectRefused(const HttpResponse& r, long status, const std::string& code) {
  EXPECT_EQ(r.status, status) << r.Describe();
  EXPECT_EQ(r.ErrorCode(), code) << r.Describe();
}

class PreflightTest : public ServerTest {
 protected:
  void ExpectNothingStored() {
    json jobs = client_->Get("/api/v1/jobs", token_).Json();
    EXPECT_TRUE(jobs["jobs"].empty()) << jobs.dump();
    EXPECT_TRUE(StrayDataFiles(server_->data_dir()).empty())
        << Join(StrayDataFiles(server_->data_dir()));
  }
};

// ---- 503 SERVICE_NOT_CONFIGURED: real/hybrid without an API key ----

class NotConfiguredTest : public PreflightTest {
 protected:
  std::map<std::string, std::string> ServerEnv() const override {
    return {{"PARSE_MODE", "real"}, {"EMBED_MODE", "hybrid"}};  // no keys at all
  }
};

TEST_F(NotConfiguredTest, ServeStartsAndEveryUploadIsRefusedWith503) {
  const std::string pdf = TaggedPdf(kRFaqPdf, "nc");
  ExpectRefused(RequestUpload(*client_, token_, "a.pdf", pdf), 503, "SERVICE_NOT_CONFIGURED");
  ExpectRefused(UploadOneShot(*client_, token_, "a.pdf", pdf), 503, "SERVICE_NOT_CONFIGURED");
  EXPECT_EQ(client_->Get("/health").status, 200);
  ExpectNothingStored();
}

TEST_F(NotConfiguredTest, ServeWithoutWorkersRefusesToo) {
  server_->Stop();
  server_->SetCommand({"serve", "--no-workers"});
  Restart();
  ExpectRefused(UploadOneShot(*client_, token_, "a.pdf", TaggedPdf(kRFaqPdf, "nw")), 503,
                "SERVICE_NOT_CONFIGURED");
  ExpectNothingStored();
}

// ---- real parse against the fake LlamaParse: size limit and open breaker ----

class RealParseTest : public PreflightTest {
 protected:
  std::map<std::string, std::string> ServerEnv() const override {
    return {{"PARSE_MODE", "real"},
            {"LLAMAPARSE_API_KEY", kLlamaKey},
            {"LLAMAPARSE_BASE_URL", fake_.base_url()},
            {"INGESTD_MAX_UPLOAD_BYTES", std::to_string(1LL << 30)},
            {"INGESTD_BREAKER_FAILURES", "1"},
            {"INGESTD_BREAKER_OPEN_MS", "60000"},
            {"INGESTD_PROBE_INTERVAL_MS", "100"}};
  }
  FakeLlamaParseServer fake_;
};

TEST_F(RealParseTest, AFileLargerThanTheRealParserAcceptsIsRefusedWith413) {
  json body = {{"filename", "huge.pdf"},
               {"bytes_len", 600LL * 1024 * 1024},
               {"mime", "application/pdf"},
               {"sha256", std::string(64, 'a')}};
  ExpectRefused(client_->PostJson("/api/v1/upload", body, token_), 413,
                "FILE_TOO_LARGE_FOR_SERVICE");
  ExpectNothingStored();
}

TEST_F(RealParseTest, AnOpenBreakerInRealModeIsRefusedWith503AndRetryAfter) {
  fake_.SetOutage(fakes::UploadFault::kServerError);
  // The free health probes fail and open the breaker without any upload.
  bool open = false;
  for (int i = 0; i < 100 && !open; ++i) {
    json health = client_->Get("/api/v1/services/health", token_).Json();
    for (const json& s : health["services"]) {
      if (s["service"] == "parse") open = s["breaker"]["state"] == "open";
    }
    if (!open) usleep(100'000);
  }
  ASSERT_TRUE(open) << "the parse breaker never opened";
  HttpResponse r = UploadOneShot(*client_, token_, "a.pdf", TaggedPdf(kRFaqPdf, "open"));
  ExpectRefused(r, 503, "SERVICE_CIRCUIT_OPEN");
  int retry_after = std::atoi(r.Header("retry-after").c_str());
  EXPECT_GE(retry_after, 1) << r.Describe();
  EXPECT_LE(retry_after, 60);
  ExpectRefused(RequestUpload(*client_, token_, "b.pdf", TaggedPdf(kRFaqPdf, "open2")), 503,
                "SERVICE_CIRCUIT_OPEN");
  ExpectNothingStored();
}

// ---- 429 budget pre-flight: real embedding against the fake OpenAI ----

class BudgetTest : public PreflightTest {
 protected:
  std::map<std::string, std::string> ServerEnv() const override {
    return {{"EMBED_MODE", "real"},
            {"OPENAI_API_KEY", kOpenAiKey},
            {"OPENAI_BASE_URL", fake_.base_url()},
            {"INGESTD_PROBE_INTERVAL_MS", "0"},
            {"INGESTD_BUDGET_EMBED_HOURLY_REQUESTS", "1"},
            {"INGESTD_BUDGET_EMBED_DAILY_USD", daily_usd_}};
  }
  FakeOpenAiServer fake_;
  std::string daily_usd_ = "1";
};

class TinyBudgetTest : public BudgetTest {
 protected:
  TinyBudgetTest() { daily_usd_ = "0.001"; }
};

TEST_F(BudgetTest, AJobThatCannotFitTheRemainingBudgetIsRefusedWith429AndRetryAfter) {
  // The first job fits (one embedding request of the hour's one) and spends it.
  HttpResponse first = UploadOneShot(*client_, token_, "a.pdf", TaggedPdf(kRFaqPdf, "b1"));
  ASSERT_EQ(first.status, 202) << first.Describe();
  EXPECT_EQ(first.Json()["cost_tracking_enabled"], true);
  WaitResult done = WaitForJob(*client_, token_, first.Json()["job_id"], IsComplete);
  ASSERT_TRUE(done.met) << done.view.dump();
  EXPECT_GT(done.view["actual_cost"]["embed_nanos"].get<int64_t>(), 0) << done.view.dump();

  for (const HttpResponse& r :
       {UploadOneShot(*client_, token_, "b.pdf", TaggedPdf(kRFaqPdf, "b2")),
        RequestUpload(*client_, token_, "c.pdf", TaggedPdf(kRFaqPdf, "b3"))}) {
    ExpectRefused(r, 429, "BUDGET_PREFLIGHT_EXCEEDED");
    int retry_after = std::atoi(r.Header("retry-after").c_str());
    EXPECT_GE(retry_after, 1) << r.Describe();
    EXPECT_LE(retry_after, 3600) << r.Describe();
  }
  json jobs = client_->Get("/api/v1/jobs", token_).Json();
  EXPECT_EQ(jobs["jobs"].size(), 1u) << jobs.dump();
}

TEST_F(TinyBudgetTest, AJobLargerThanALimitIsRefusedWithItsOwnCode) {
  // $0.001 a day buys 50,000 tokens: a 100-page estimate (60,000 tokens) never fits.
  json body = {{"filename", "big.pdf"},
               {"bytes_len", 100 * 50 * 1024},
               {"mime", "application/pdf"},
               {"sha256", std::string(64, 'b')}};
  HttpResponse r = client_->PostJson("/api/v1/upload", body, token_);
  ExpectRefused(r, 429, "BUDGET_PREFLIGHT_TOO_LARGE");
  EXPECT_EQ(r.Header("retry-after"), "");
  ExpectNothingStored();
}

// ---- processing_priority ----

class PriorityTest : public PreflightTest {
 protected:
  std::map<std::string, std::string> ServerEnv() const override {
    return {{"INGESTD_WORKERS", "1"}, {"INGESTD_MOCK_PARSE_FAULTS", "latency:1500"}};
  }
};

TEST_F(PriorityTest, OutOfRangeOrMalformedPrioritiesAre400) {
  const std::string pdf = TaggedPdf(kRFaqPdf, "p");
  json body = {{"filename", "a.pdf"},
               {"bytes_len", pdf.size()},
               {"mime", "application/pdf"},
               {"sha256", std::string(64, 'c')}};
  for (json bad : {json(101), json(-101), json("5"), json(1.5)}) {
    body["processing_priority"] = bad;
    ExpectRefused(client_->PostJson("/api/v1/upload", body, token_), 400, "INVALID_FIELD");
  }
  Multipart m =
      BuildMultipart("file", "a.pdf", pdf, "application/pdf", {{"processing_priority", "high"}});
  ExpectRefused(client_->Send({.method = "POST",
                               .target = "/api/v1/documents",
                               .headers = {{"Content-Type", m.content_type}},
                               .bearer = token_,
                               .body = m.body}),
                400, "INVALID_FIELD");
  m = BuildMultipart("file", "a.pdf", pdf);
  ExpectRefused(client_->Send({.method = "POST",
                               .target = "/api/v1/documents?processing_priority=500",
                               .headers = {{"Content-Type", m.content_type}},
                               .bearer = token_,
                               .body = m.body}),
                400, "INVALID_FIELD");
  ExpectNothingStored();
}

TEST_F(PriorityTest, HigherPriorityJobsAreClaimedFirst) {
  auto upload = [&](const std::string& tag, const std::string& priority, bool as_query) {
    Multipart m = as_query ? BuildMultipart("file", tag + ".pdf", TaggedPdf(kRFaqPdf, tag))
                           : BuildMultipart("file", tag + ".pdf", TaggedPdf(kRFaqPdf, tag),
                                            "application/pdf", {{"processing_priority", priority}});
    HttpResponse r =
        client_->Send({.method = "POST",
                       .target = as_query ? "/api/v1/documents?processing_priority=" + priority
                                          : "/api/v1/documents",
                       .headers = {{"Content-Type", m.content_type}},
                       .bearer = token_,
                       .body = m.body});
    EXPECT_EQ(r.status, 202) << r.Describe();
    EXPECT_EQ(r.Json()["processing_priority"], std::stoi(priority));
    return r.Json().value("job_id", "");
  };
  // The one worker is busy with the first job (its parse takes 1.5 s) while the others queue.
  std::string busy = upload("busy", "0", false);
  ASSERT_TRUE(
      WaitForJob(*client_, token_, busy, [](const json& v) { return v["state"] != "queued"; }).met);
  std::string low = upload("low", "-10", true);
  std::string normal = upload("normal", "0", false);
  std::string high = upload("high", "10", false);
  auto started = [&](const std::string& id) {
    WaitResult w = WaitForJob(*client_, token_, id, IsComplete);
    EXPECT_TRUE(w.met) << w.view.dump();
    return w.view["timings"]["parse"]["started_at"].get<std::string>();
  };
  const std::string high_at = started(high), normal_at = started(normal), low_at = started(low);
  EXPECT_LT(high_at, normal_at);  // RFC 3339 UTC strings order like the times
  EXPECT_LT(normal_at, low_at);
}

// ---- the job's routing and cost facts after a hybrid run that fell back ----

class HybridFallbackTest : public PreflightTest {
 protected:
  std::map<std::string, std::string> ServerEnv() const override {
    return {{"EMBED_MODE", "hybrid"},
            {"OPENAI_API_KEY", kOpenAiKey},
            {"OPENAI_BASE_URL", fake_.base_url()},
            {"INGESTD_PROBE_INTERVAL_MS", "0"},
            {"INGESTD_BUDGET_DAILY_USD", "10"}};
  }
  FakeOpenAiServer fake_;
};

TEST_F(HybridFallbackTest, TheJobViewShowsEstimateRoutesFallbackAndActualCost) {
  fake_.SetOutage(EmbedFault::kUnavailable);  // every real embedding call fails
  HttpResponse up = UploadOneShot(*client_, token_, "a.pdf", TaggedPdf(kRFaqPdf, "hy1"),
                                  {{"X-Correlation-ID", "hybrid-1"}});
  ASSERT_EQ(up.status, 202) << up.Describe();
  WaitResult done = WaitForJob(*client_, token_, up.Json()["job_id"], IsComplete);
  ASSERT_TRUE(done.met) << done.view.dump();
  const json& v = done.view;

  EXPECT_EQ(v["service_mode"], "parse=mock,embed=hybrid");
  EXPECT_EQ(v["correlation_id"], "hybrid-1");
  EXPECT_EQ(v["processing_priority"], 0);
  EXPECT_EQ(v["router_config"]["embed"]["mode"], "hybrid");
  EXPECT_EQ(v["router_config"]["embed"]["fallback"], "local");
  EXPECT_EQ(v["router_config"]["embed"]["model"], "text-embedding-3-small");
  EXPECT_EQ(v["router_config"]["parse"]["mode"], "mock");
  EXPECT_TRUE(v["router_config"]["breaker"].contains("failure_threshold")) << v.dump();
  EXPECT_EQ(v["cost_estimate"]["pages_basis"], "pdf");
  EXPECT_GT(v["cost_estimate"]["pages"].get<int>(), 1);
  EXPECT_GT(v["cost_estimate"]["embed_nanos"].get<int64_t>(), 0);
  EXPECT_EQ(v["cost_estimate"]["parse_nanos"], 0);  // mock parsing is free
  EXPECT_EQ(v["service_health_status"]["embed"]["breaker"], "closed");
  EXPECT_EQ(v["cost_tracking_enabled"], true);

  EXPECT_EQ(v["fallback_triggered"], true) << v.dump();
  const json& embed = v["stage_routes"]["embed"];
  EXPECT_EQ(embed["mode"], "hybrid");
  EXPECT_EQ(embed["implementation"], "local");
  EXPECT_GE(embed["fallback_calls"].get<int>(), 1);
  EXPECT_NE(embed["fallback_reason"].get<std::string>().find("real_failed"), std::string::npos)
      << embed.dump();
  EXPECT_EQ(v["stage_routes"]["parse"]["implementation"], "mock");
  EXPECT_EQ(v["stage_routes"]["parse"]["fallback_calls"], 0);
  EXPECT_EQ(v["actual_cost"]["embed_nanos"], 0);  // nothing real succeeded

  // Once the real service answers, a job is served by it and records what it cost.
  fake_.SetOutage(EmbedFault::kNone);
  HttpResponse up2 = UploadOneShot(*client_, token_, "b.pdf", TaggedPdf(kRFaqPdf, "hy2"));
  ASSERT_EQ(up2.status, 202) << up2.Describe();
  WaitResult done2 = WaitForJob(*client_, token_, up2.Json()["job_id"], IsComplete);
  ASSERT_TRUE(done2.met) << done2.view.dump();
  EXPECT_EQ(done2.view["fallback_triggered"], false) << done2.view.dump();
  EXPECT_GT(done2.view["actual_cost"]["embed_nanos"].get<int64_t>(), 0);
  EXPECT_EQ(done2.view["actual_cost"]["total_nanos"], done2.view["actual_cost"]["embed_nanos"]);
  EXPECT_EQ(done2.view["stage_routes"]["embed"]["fallback_calls"], 0);
}

}  // namespace
}  // namespace ingestd::itest
