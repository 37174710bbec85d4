#include <gtest/gtest.h>
#include <prometheus/gauge.h>

#include <filesystem>
#include <vector>

#include "core/money.h"
#include "ledger/sqlite_ledger.h"

#include "metrics/http_metrics.h"
#include "metrics/metrics.h"
#include "metrics/pipeline_metrics.h"
#include "metrics/provider_metrics.h"
#include "metrics/scrape_gauges.h"
#include "metrics/search_metrics.h"

namespace ingestd::metrics {
namespace {

api::RequestRecord Request(std::string_view pattern, int status, api::UploadRole upload,
                           std::string_view code = "") {
  api::RequestRecord r;
  r.method = "POST";
  r.route = {pattern, upload};
  r.status = status;
  r.error_code = code;
  r.seconds = 0.003;
  return r;
}

bool Has(const std::string& text, const std::string& line) {
  return text.find(line + "\n") != std::string::npos;
}

TEST(HttpMetricsTest, CountsRequestsByRoutePatternAndStatus) {
  Metrics m;
  HttpMetrics http(&m.registry());
  http.OnRequest(Request("/api/v1/jobs/{id}", 200, api::UploadRole::kNone));
  http.OnRequest(Request("/api/v1/jobs/{id}", 200, api::UploadRole::kNone));
  http.OnRequest(Request(api::RouteMatch::kUnmatched, 404, api::UploadRole::kNone, "X"));
  const std::string text = m.Exposition();
  EXPECT_TRUE(
      Has(text,
          R"(ingestd_http_requests_total{method="POST",route="/api/v1/jobs/{id}",status="200"} 2)"))
      << text;
  EXPECT_TRUE(
      Has(text, R"(ingestd_http_requests_total{method="POST",route="unmatched",status="404"} 1)"));
  EXPECT_TRUE(Has(
      text,
      R"(ingestd_http_request_duration_seconds_bucket{method="POST",route="/api/v1/jobs/{id}",status="200",le="0.005"} 2)"));
  EXPECT_TRUE(Has(
      text,
      R"(ingestd_http_request_duration_seconds_bucket{method="POST",route="/api/v1/jobs/{id}",status="200",le="0.0025"} 0)"));
}

TEST(HttpMetricsTest, UploadsAcceptedOnFileRoutesAndRefusedByCodeOnBoth) {
  Metrics m;
  HttpMetrics http(&m.registry());
  http.OnRequest(Request("/api/v1/documents", 202, api::UploadRole::kFile));
  http.OnRequest(Request("/api/v1/documents", 200, api::UploadRole::kFile));  // duplicate
  http.OnRequest(Request("/api/v1/upload", 201, api::UploadRole::kSlot));     // no file yet
  http.OnRequest(Request("/api/v1/upload", 429, api::UploadRole::kSlot, "BUDGET_EXCEEDED"));
  http.OnRequest(Request("/api/v1/documents", 413, api::UploadRole::kFile, "UPLOAD_TOO_LARGE"));
  http.OnRequest(Request("/api/v1/jobs", 400, api::UploadRole::kNone, "INVALID_FILTER"));
  const std::string text = m.Exposition();
  EXPECT_TRUE(Has(text, "ingestd_uploads_accepted_total 2")) << text;
  EXPECT_TRUE(Has(text, R"(ingestd_uploads_refused_total{code="BUDGET_EXCEEDED"} 1)"));
  EXPECT_TRUE(Has(text, R"(ingestd_uploads_refused_total{code="UPLOAD_TOO_LARGE"} 1)"));
  EXPECT_EQ(text.find(R"(code="INVALID_FILTER")"), std::string::npos);
}

TEST(SearchMetricsTest, CountsSearchesByModeAndOutcomeAndTimesThemByMode) {
  Metrics m;
  SearchMetrics search(&m.registry());
  search.OnSearch({.mode = "hybrid", .outcome = "ok", .seconds = 0.004});
  search.OnSearch({.mode = "hybrid", .outcome = "ok", .seconds = 0.02});
  search.OnSearch({.mode = "keyword", .outcome = "SEARCH_RATE_MINUTE_EXCEEDED", .seconds = 0});
  const std::string text = m.Exposition();
  EXPECT_TRUE(Has(text, R"(ingestd_search_queries_total{mode="hybrid",outcome="ok"} 2)")) << text;
  EXPECT_TRUE(Has(
      text,
      R"(ingestd_search_queries_total{mode="keyword",outcome="SEARCH_RATE_MINUTE_EXCEEDED"} 1)"));
  EXPECT_TRUE(Has(text, R"(ingestd_search_duration_seconds_bucket{mode="hybrid",le="0.005"} 1)"));
  EXPECT_TRUE(Has(text, R"(ingestd_search_duration_seconds_bucket{mode="hybrid",le="0.025"} 2)"));
  EXPECT_TRUE(Has(text, R"(ingestd_search_duration_seconds_count{mode="keyword"} 1)"));
}

TEST(MetricsRegistryTest, ScrapeRefreshesRunBeforeEveryExposition) {
  Metrics m;
  auto& gauge = prometheus::BuildGauge().Name("t_value").Help("t").Register(m.registry()).Add({});
  int scrapes = 0;
  m.OnScrape([&] { gauge.Set(++scrapes); });
  EXPECT_TRUE(Has(m.Exposition(), "t_value 1"));
  EXPECT_TRUE(Has(m.Exposition(), "t_value 2"));
}

class RecordingSink final : public AuditSink {
 public:
  void Record(AuditRecord r) override { rows.push_back(std::move(r)); }
  std::vector<AuditRecord> rows;
};

AuditRecord Exchange(int http_status, int attempt, std::string error_code = "") {
  AuditRecord a;
  a.service = "embed";
  a.provider = "openai";
  a.operation = "embeddings";
  a.model = "text-embedding-3-small";
  a.user_id = "alice";
  a.job_id = "job-1";
  a.http_status = http_status;
  a.attempt = attempt;
  a.error_code = std::move(error_code);
  a.latency_ms = 40;
  return a;
}

TEST(ProviderMetricsTest, CountsEveryAuditedExchangeAndHandsItOnUnchanged) {
  Metrics m;
  RecordingSink next;
  ProviderMetrics provider(&m.registry(), &next);
  provider.Record(Exchange(429, 1, "OPENAI_RATE_LIMITED"));
  AuditRecord ok = Exchange(200, 2);
  ok.tokens = 1500;
  provider.Record(ok);
  AuditRecord pages = Exchange(200, 1);
  pages.service = "parse";
  pages.provider = "llamaparse";
  pages.operation = "result";
  pages.model = "";
  pages.pages = 7;
  provider.Record(pages);

  ASSERT_EQ(next.rows.size(), 3u);
  EXPECT_EQ(next.rows[1].tokens, 1500);
  EXPECT_EQ(next.rows[1].job_id, "job-1");
  const std::string text = m.Exposition();
  EXPECT_TRUE(Has(
      text,
      R"(ingestd_provider_requests_total{http_status="429",operation="embeddings",provider="openai",service="embed"} 1)"))
      << text;
  EXPECT_TRUE(Has(
      text,
      R"(ingestd_provider_requests_total{http_status="200",operation="embeddings",provider="openai",service="embed"} 1)"));
  EXPECT_TRUE(Has(
      text,
      R"(ingestd_provider_errors_total{code="OPENAI_RATE_LIMITED",http_status="429",provider="openai",service="embed"} 1)"));
  EXPECT_TRUE(
      Has(text, R"(ingestd_provider_rate_limited_total{provider="openai",service="embed"} 1)"));
  EXPECT_TRUE(Has(text, R"(ingestd_provider_retries_total{provider="openai",service="embed"} 1)"));
  EXPECT_TRUE(Has(
      text,
      R"(ingestd_provider_tokens_billed_total{model="text-embedding-3-small",provider="openai",service="embed"} 1500)"));
  EXPECT_TRUE(
      Has(text, R"(ingestd_provider_pages_billed_total{provider="llamaparse",service="parse"} 7)"));
  EXPECT_TRUE(Has(
      text,
      R"(ingestd_provider_request_duration_seconds_bucket{operation="embeddings",provider="openai",service="embed",le="0.05"} 2)"));
  EXPECT_EQ(text.find("alice"), std::string::npos);
  EXPECT_EQ(text.find("job-1"), std::string::npos);
}

TEST(PipelineMetricsTest, CountsStagesFallbacksByReasonAndAlertsByKind) {
  Metrics m;
  PipelineMetrics pipeline(&m.registry());
  pipeline.OnStageDone("parse", 1200);
  pipeline.OnJobFinished(true);
  RouteDecision fell;
  fell.service = "embed";
  fell.implementation = "local";
  fell.fallback_triggered = true;
  fell.reason = "breaker_open";
  fell.job_id = "job-1";
  pipeline.OnDecision(fell);
  Alert alert;
  alert.kind = "breaker_opened";
  pipeline.OnAlert(alert);
  const std::string text = m.Exposition();
  EXPECT_TRUE(Has(text, R"(ingestd_stage_duration_seconds_bucket{stage="parse",le="2.5"} 1)"))
      << text;
  EXPECT_TRUE(Has(text, R"(ingestd_stage_duration_seconds_bucket{stage="parse",le="1"} 0)"));
  EXPECT_TRUE(Has(text, R"(ingestd_jobs_finished_total{outcome="deadletter"} 1)"));
  EXPECT_TRUE(
      Has(text, R"(ingestd_service_calls_total{implementation="local",service="embed"} 1)"));
  EXPECT_TRUE(Has(text, R"(ingestd_fallbacks_total{reason="breaker_open",service="embed"} 1)"));
  EXPECT_TRUE(Has(text, R"(ingestd_alerts_total{kind="breaker_opened"} 1)"));
  EXPECT_EQ(text.find("job-1"), std::string::npos);
}

TEST(ScrapeGaugesTest, LedgerWindowsPerScopeWithEveryUsersWindowSummedIntoOne) {
  const auto dir = std::filesystem::temp_directory_path() / "ingestd_metrics_ledger_test";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  FakeClock clock;
  LedgerOptions options;
  options.daily_usd = 10;
  options.user_daily_usd = 2;
  auto ledger = SqliteLedger::Open((dir / "ingestd.db").string(), &clock, options, {});
  ASSERT_TRUE(ledger.ok()) << ledger.status().ToString();
  for (auto [user, usd] : {std::pair{"u1", 0.5}, std::pair{"u2", 0.25}}) {
    ReserveRequest r;
    r.service = "embed";
    r.user_id = user;
    r.estimate_nanos = UsdToNanos(usd);
    ASSERT_TRUE((*ledger)->Reserve(r).ok());
  }
  Metrics m;
  RegisterScrapeGauges(&m, {.ledger = ledger->get()});
  const std::string text = m.Exposition();
  EXPECT_TRUE(Has(text, R"(ingestd_ledger_reserved{scope="users",unit="usd",window="day"} 0.75)"))
      << text;
  EXPECT_TRUE(Has(text, R"(ingestd_ledger_limit{scope="users",unit="usd",window="day"} 2)"));
  EXPECT_TRUE(Has(text, R"(ingestd_ledger_reserved{scope="total",unit="usd",window="day"} 0.75)"));
  EXPECT_TRUE(Has(text, R"(ingestd_ledger_limit{scope="total",unit="usd",window="day"} 10)"));
  EXPECT_TRUE(Has(text, R"(ingestd_ledger_spent{scope="users",unit="usd",window="day"} 0)"));
  EXPECT_EQ(text.find("u1"), std::string::npos);  // one aggregate, no user in a label
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace ingestd::metrics
