// GET /metrics against the running binary: the Prometheus text format (checked by Debian's
// `promtool check metrics`), counters that move with uploads and requests, labels that never
// carry ids, provider calls to the fake OpenAI (tests/fakes), INGESTD_METRICS_TOKEN, and a real
// Prometheus server (Debian's `prometheus`) scraping ingestd and answering the upload counter
// through its HTTP API.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "harness/prometheus_process.h"
#include "harness/test_support.h"
#include "tests/fakes/fake_openai_server.h"

namespace ingestd::itest {
namespace {

constexpr char kMetricsToken[] = "metrics-token-0123456789";
constexpr char kExpositionType[] = "text/plain; version=0.0.4; charset=utf-8";

bool HasLine(const std::string& text, const std::string& line) {
  return text.find(line + "\n") != std::string::npos;
}

// Runs `promtool check metrics` on text; returns its exit code and output.
std::pair<int, std::string> Promtool(const std::string& dir, const std::string& text) {
  const std::string path = dir + "/exposition.txt";
  WriteFile(path, text);
  CommandResult r = RunCommand("promtool check metrics < '" + path + "' 2>&1");
  return {r.exit_code, std::move(r.output)};
}

// Three distinct PDFs through the one-shot flow; returns their job ids.
std::vector<std::string> UploadThree(HttpClient& client, const std::string& token) {
  std::vector<std::string> jobs;
  for (int i = 0; i < 3; ++i) {
    const std::string tag = "metrics-" + std::to_string(i);
    HttpResponse r = UploadOneShot(client, token, tag + ".pdf", TaggedPdf(kRFaqPdf, tag));
    EXPECT_EQ(r.status, 202) << r.Describe();
    jobs.push_back(r.Json().value("job_id", ""));
  }
  return jobs;
}

class MetricsTest : public ServerTest {
 protected:
  std::map<std::string, std::string> ServerEnv() const override {
    return {{"INGESTD_BUDGET_DAILY_USD", "5"}};
  }
};

// GETs /metrics until it has line (the job gauges are cached for a second), or 30 s pass.
std::string WaitForLine(HttpClient& client, const std::string& line) {
  std::string text;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    text = client.Get("/metrics").body;
    if (HasLine(text, line)) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return text;
}

TEST_F(MetricsTest, ExpositionPassesPromtoolAndCountsUploadsAndRequestsByRoutePattern) {
  HttpResponse before = client_->Get("/metrics");
  ASSERT_EQ(before.status, 200) << before.Describe();
  EXPECT_EQ(before.Header("content-type"), kExpositionType);

  const std::vector<std::string> jobs = UploadThree(*client_, token_);
  ASSERT_EQ(client_->Get("/api/v1/jobs/" + jobs[0], token_).status, 200);
  EXPECT_EQ(client_->Get("/no/such/route/" + jobs[1]).status, 404);
  HttpResponse refused = UploadOneShot(*client_, "", "x.pdf", TaggedPdf(kRFaqPdf, "x"));
  EXPECT_EQ(refused.status, 401);

  HttpResponse after = client_->Get("/metrics");
  ASSERT_EQ(after.status, 200) << after.Describe();
  const std::string& text = after.body;
  EXPECT_TRUE(HasLine(text, "ingestd_uploads_accepted_total 3")) << text;
  EXPECT_TRUE(HasLine(text, R"(ingestd_uploads_refused_total{code="TOKEN_MISSING"} 1)")) << text;
  EXPECT_TRUE(HasLine(
      text,
      R"(ingestd_http_requests_total{method="POST",route="/api/v1/documents",status="202"} 3)"));
  EXPECT_TRUE(HasLine(
      text,
      R"(ingestd_http_requests_total{method="GET",route="/api/v1/jobs/{id}",status="200"} 1)"));
  EXPECT_TRUE(HasLine(
      text, R"(ingestd_http_requests_total{method="GET",route="unmatched",status="404"} 1)"));
  EXPECT_TRUE(HasLine(
      text,
      R"(ingestd_http_request_duration_seconds_count{method="POST",route="/api/v1/documents",status="202"} 3)"));
  // The first scrape is counted by the second.
  EXPECT_TRUE(HasLine(
      text, R"(ingestd_http_requests_total{method="GET",route="/metrics",status="200"} 1)"));
  for (const std::string& id : jobs) EXPECT_EQ(text.find(id), std::string::npos) << id;
  EXPECT_EQ(text.find("alice"), std::string::npos);
  EXPECT_EQ(text.find("metrics-0"), std::string::npos);  // no filenames

  auto [rc, out] = Promtool(server_->root_dir(), text);
  EXPECT_EQ(rc, 0) << out;
}

TEST_F(MetricsTest, GaugesReadAtScrapeTimeFollowJobsLedgerAndBreakers) {
  for (const std::string& id : UploadThree(*client_, token_)) {
    ASSERT_TRUE(WaitForJob(*client_, token_, id, IsComplete).met) << id;
  }
  const std::string text =
      WaitForLine(*client_, R"(ingestd_jobs{state="done",status="complete"} 3)");
  EXPECT_TRUE(HasLine(text, R"(ingestd_jobs{state="done",status="complete"} 3)")) << text;
  EXPECT_TRUE(HasLine(text, R"(ingestd_jobs_finished_total{outcome="complete"} 3)"));
  for (const char* stage : {"parse", "validate", "chunk", "embed", "finalize"}) {
    EXPECT_TRUE(HasLine(
        text, std::string(R"(ingestd_stage_duration_seconds_count{stage=")") + stage + R"("} 3)"))
        << stage;
  }
  EXPECT_TRUE(HasLine(text, R"(ingestd_ledger_limit{scope="total",unit="usd",window="day"} 5)"));
  EXPECT_TRUE(HasLine(text, R"(ingestd_ledger_spent{scope="total",unit="usd",window="day"} 0)"));
  EXPECT_TRUE(HasLine(text, R"(ingestd_breaker_state{service="parse",state="closed"} 1)"));
  EXPECT_TRUE(HasLine(text, R"(ingestd_breaker_state{service="embed",state="open"} 0)"));
  EXPECT_TRUE(
      HasLine(text, R"(ingestd_service_calls_total{implementation="mock",service="parse"} 3)"));
  EXPECT_TRUE(HasLine(text, "ingestd_audit_queue_depth 0"));
  auto [rc, out] = Promtool(server_->root_dir(), text);
  EXPECT_EQ(rc, 0) << out;
}

// Searches by mode and outcome, their latency, and the index's size per model (a gauge read
// from this process's index at scrape time, every user's space of the model summed).
TEST_F(MetricsTest, SearchesByModeAndOutcomeAndTheIndexPerModel) {
  const std::vector<std::string> jobs = UploadThree(*client_, token_);
  for (const std::string& id : jobs) ASSERT_TRUE(WaitForJob(*client_, token_, id, IsComplete).met);
  auto search = [&](const json& body) {
    return client_->Send({.method = "POST",
                          .target = "/api/v1/search",
                          .headers = {{"Content-Type", "application/json"}},
                          .bearer = token_,
                          .body = body.dump()});
  };
  HttpResponse hybrid = search({{"query", "frequently asked questions"}});
  ASSERT_EQ(hybrid.status, 200) << hybrid.Describe();
  const std::string model = hybrid.Json().value("model", "");
  ASSERT_FALSE(model.empty());
  EXPECT_EQ(search({{"query", "packages"}, {"mode", "keyword"}}).status, 200);
  EXPECT_EQ(search({{"query", "packages"}, {"mode", "vector"}}).status, 200);
  EXPECT_EQ(search({{"query", " "}, {"mode", "vector"}}).status, 400);  // INVALID_QUERY
  EXPECT_EQ(search({{"query", "r"}, {"top_k", 0}}).status, 400);        // unread body: not counted
  int64_t chunks = 0;
  for (const std::string& id : jobs) {
    const json view = client_->Get("/api/v1/jobs/" + id, token_).Json();
    const std::string doc = view.value("document_id", "");
    chunks +=
        static_cast<int64_t>(client_->Get("/api/v1/documents/" + doc + "/chunks?limit=500", token_)
                                 .Json()
                                 .value("chunks", json::array())
                                 .size());
  }
  ASSERT_GT(chunks, 0);

  const std::string text = client_->Get("/metrics").body;
  EXPECT_TRUE(HasLine(text, R"(ingestd_search_queries_total{mode="hybrid",outcome="ok"} 1)"))
      << text;
  EXPECT_TRUE(HasLine(text, R"(ingestd_search_queries_total{mode="keyword",outcome="ok"} 1)"));
  EXPECT_TRUE(HasLine(text, R"(ingestd_search_queries_total{mode="vector",outcome="ok"} 1)"));
  EXPECT_TRUE(
      HasLine(text, R"(ingestd_search_queries_total{mode="vector",outcome="INVALID_QUERY"} 1)"));
  EXPECT_EQ(text.find(R"(outcome="INVALID_FIELD")"), std::string::npos);
  EXPECT_TRUE(HasLine(text, R"(ingestd_search_duration_seconds_count{mode="vector"} 2)"));
  EXPECT_TRUE(HasLine(
      text, R"(ingestd_search_index_vectors{model=")" + model + R"("} )" + std::to_string(chunks)));
  const std::string bytes_line = R"(ingestd_search_index_bytes{model=")" + model + R"("} )";
  const size_t at = text.find(bytes_line);
  ASSERT_NE(at, std::string::npos);
  EXPECT_GT(std::stod(text.substr(at + bytes_line.size())), static_cast<double>(chunks) * 4);
  EXPECT_EQ(text.find("alice"), std::string::npos);
  EXPECT_EQ(text.find("frequently"), std::string::npos);  // no query text
  auto [rc, out] = Promtool(server_->root_dir(), text);
  EXPECT_EQ(rc, 0) << out;
}

// Real embeddings against the fake OpenAI: its first answer is a 429 with retry-after-ms, so
// the request is retried in the loop; every exchange is counted as the provider answered it.
class ProviderMetricsTest : public ServerTest {
 protected:
  std::map<std::string, std::string> ServerEnv() const override {
    return {{"EMBED_MODE", "real"},
            {"OPENAI_API_KEY", fakes::kOpenAiTestKey},
            {"OPENAI_BASE_URL", fake_.base_url()},
            {"INGESTD_PROBE_INTERVAL_MS", "0"}};
  }
  fakes::FakeOpenAiServer fake_;
};

TEST_F(ProviderMetricsTest, EveryProviderExchangeIsCountedWithRetries429sAndTokensBilled) {
  fake_.PushFaults({{fakes::EmbedFault::kRateLimit, "", "10", ""}});
  HttpResponse r = UploadOneShot(*client_, token_, "a.pdf", TaggedPdf(kRFaqPdf, "provider"));
  ASSERT_EQ(r.status, 202) << r.Describe();
  ASSERT_TRUE(WaitForJob(*client_, token_, r.Json()["job_id"], IsComplete).met);

  int ok = 0;
  for (const auto& q : fake_.requests()) ok += q.target == "/v1/embeddings" && q.status == 200;
  ASSERT_GT(ok, 0);
  const std::string text = client_->Get("/metrics").body;
  const std::string who = R"(provider="openai",service="embed"})";
  EXPECT_TRUE(HasLine(
      text,
      R"(ingestd_provider_requests_total{http_status="429",operation="embeddings",)" + who + " 1"))
      << text;
  EXPECT_TRUE(
      HasLine(text, R"(ingestd_provider_requests_total{http_status="200",operation="embeddings",)" +
                        who + " " + std::to_string(ok)));
  EXPECT_TRUE(HasLine(text, "ingestd_provider_rate_limited_total{" + who + " 1"));
  EXPECT_TRUE(HasLine(text, "ingestd_provider_retries_total{" + who + " 1"));
  EXPECT_TRUE(
      HasLine(text, R"(ingestd_provider_tokens_billed_total{model="text-embedding-3-small",)" +
                        who + " " + std::to_string(fake_.billed_tokens())));
  auto [rc, out] = Promtool(server_->root_dir(), text);
  EXPECT_EQ(rc, 0) << out;
}

class MetricsTokenTest : public ServerTest {
 protected:
  std::map<std::string, std::string> ServerEnv() const override {
    return {{"INGESTD_METRICS_TOKEN", kMetricsToken}};
  }
};

TEST_F(MetricsTokenTest, MetricsNeedTheTokenWhenOneIsSet) {
  HttpResponse none = client_->Get("/metrics");
  EXPECT_EQ(none.status, 401) << none.Describe();
  EXPECT_EQ(none.ErrorCode(), "TOKEN_MISSING");
  EXPECT_FALSE(none.Json()["error"].value("correlation_id", "").empty());
  HttpResponse wrong = client_->Get("/metrics", std::string(kMetricsToken) + "x");
  EXPECT_EQ(wrong.status, 401) << wrong.Describe();
  EXPECT_EQ(wrong.ErrorCode(), "METRICS_TOKEN_INVALID");
  // A user's API token is not the metrics token either.
  EXPECT_EQ(client_->Get("/metrics", token_).ErrorCode(), "METRICS_TOKEN_INVALID");
  HttpResponse right = client_->Get("/metrics", kMetricsToken);
  EXPECT_EQ(right.status, 200) << right.Describe();
  EXPECT_EQ(right.Header("content-type"), kExpositionType);
  EXPECT_TRUE(HasLine(
      right.body, R"(ingestd_http_requests_total{method="GET",route="/metrics",status="401"} 3)"))
      << right.body;
}

// A Prometheus server started here scrapes ingestd (with the bearer token) every second; the
// upload counter it stores reaches 3 after three uploads.
TEST_F(MetricsTokenTest, RealPrometheusScrapesTheUploadCounter) {
  PrometheusProcess prometheus("127.0.0.1:" + std::to_string(server_->port()), kMetricsToken);
  ASSERT_EQ(prometheus.Start(), "");
  UploadThree(*client_, token_);

  std::string last;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    HttpResponse r = prometheus.Query("ingestd_uploads_accepted_total");
    last = r.Describe();
    json result = r.Json().is_object() ? r.Json()["data"]["result"] : json();
    if (result.is_array() && result.size() == 1 && result[0]["value"][1] == "3") {
      EXPECT_EQ(result[0]["metric"]["job"], "ingestd");
      HttpResponse up = prometheus.Query("up");
      EXPECT_EQ(up.Json()["data"]["result"][0]["value"][1], "1") << up.Describe();
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  FAIL() << "prometheus never stored ingestd_uploads_accepted_total 3; last answer: " << last
         << "\n"
         << prometheus.LogTail();
}

}  // namespace
}  // namespace ingestd::itest
