// PipelineAlerts fed by the real sources: a worker dead-lettering jobs, a hybrid router whose
// real embedder fails (breaker and fallback rate), and the SQLite ledger's budget alerts.
#include "alerts/pipeline_alerts.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include "alerts/sqlite_alert_log.h"
#include "ledger/sqlite_ledger.h"
#include "pipeline/pipeline_test_env.h"
#include "pipeline/worker.h"
#include "services/router/service_router.h"

namespace ingestd {
namespace {

// Stands in for a real embedder: fails while `failing` is set.
class SwitchableEmbedder final : public Embedder {
 public:
  std::string name() const override { return "real"; }
  std::string model() const override { return "text-embedding-3-small"; }
  int dimensions() const override { return MockEmbedder::kDimensions; }
  Result<EmbedOutput> Embed(const std::vector<std::string>& texts, const CallContext&) override {
    if (failing) return Status::Error(Kind::kUpstream, "UPSTREAM_TRANSIENT", "down", true);
    EmbedOutput out;
    out.vectors.assign(texts.size(), std::vector<float>(MockEmbedder::kDimensions, 0.5f));
    out.model = model();
    out.implementation = "real";
    out.total_tokens = static_cast<int64_t>(texts.size());
    return out;
  }
  std::atomic<bool> failing{false};
};

RateMonitorOptions Rate(double threshold) {
  return {.threshold = threshold,
          .window_ms = 60'000,
          .max_events = 10,
          .min_events = 4,
          .clear_ratio = 0.5,
          .cooldown_ms = 600'000};
}

class PipelineAlertsTest : public testing::PipelineTestEnv {
 protected:
  std::vector<std::string> Kinds() {
    auto recent = log_.Recent({});
    EXPECT_TRUE(recent.ok());
    std::vector<std::string> kinds;
    for (auto it = recent->rbegin(); it != recent->rend(); ++it) kinds.push_back(it->kind);
    return kinds;  // oldest first
  }
  MemoryAlertLog log_;
};

TEST_F(PipelineAlertsTest, DeadLetterRateCrossingRaisesOneAlertOnTheJobThatCrossedIt) {
  AlertHub hub({&clock_, &log_, store_.get(), nullptr});
  PipelineAlerts alerts(&hub, {std::nullopt, Rate(0.5)}, &clock_);
  options_.max_attempts = 1;
  options_.on_job_finished = [&](const Job& job, bool dead) { alerts.OnJobFinished(job, dead); };
  std::vector<Job> jobs;
  for (int i = 0; i < 2; ++i)
    jobs.push_back(Upload(testing::SyntheticPdf(1, "ok" + std::to_string(i))));
  for (int i = 0; i < 6; ++i) jobs.push_back(Upload("not a pdf " + std::to_string(i)));
  Worker w(Deps(), options_, "w-1");
  for (int i = 0; i < 200 && w.RunOnce(); ++i) {
  }
  EXPECT_EQ(Kinds(), std::vector<std::string>{"dead_letter_rate_high"});
  Alert a = log_.Recent({})->front();
  EXPECT_EQ(a.scope, "pipeline");
  EXPECT_DOUBLE_EQ(a.threshold, 0.5);
  EXPECT_GE(a.value, 0.5);
  ASSERT_FALSE(a.job_id.empty());
  const Job crossed = GetJob(a.job_id);
  EXPECT_EQ(a.correlation_id, crossed.correlation_id);
  EXPECT_TRUE(crossed.state == QueueState::kDeadletter || crossed.state == QueueState::kDone)
      << "a finished job (the one that filled the window, whatever its own fate)";
  EXPECT_NE(std::find_if(jobs.begin(), jobs.end(), [&](const Job& j) { return j.id == a.job_id; }),
            jobs.end());
  auto codes = EventCodes(crossed);
  EXPECT_NE(std::find(codes.begin(), codes.end(), "DEAD_LETTER_RATE_HIGH"), codes.end());
}

TEST_F(PipelineAlertsTest, BreakerTransitionsAndFallbackRateAlertOncePerCrossing) {
  AlertHub hub({&clock_, &log_, nullptr, nullptr});
  PipelineAlerts alerts(&hub, {Rate(0.5), std::nullopt}, &clock_);
  ServiceImpls impls;
  impls.parsers["mock"] = std::make_unique<MockParser>();
  auto real = std::make_unique<SwitchableEmbedder>();
  SwitchableEmbedder* embedder = real.get();
  impls.embedders["real"] = std::move(real);
  impls.embedders["mock"] = std::make_unique<MockEmbedder>();
  RouterOptions ro;
  ro.embed_mode = ServiceMode::kHybrid;
  ro.breaker = {.failure_threshold = 2, .open_ms = 1'000, .window_calls = 50};
  ro.on_breaker = [&](const BreakerEvent& e) { alerts.OnBreaker(e); };
  auto router = ServiceRouter::Create(std::move(ro), std::move(impls), &clock_, nullptr,
                                      [&](const RouteDecision& d) { alerts.OnDecision(d); });
  ASSERT_TRUE(router.ok()) << router.status().ToString();
  auto embed = [&](int i) {
    const std::string n = std::to_string(i);
    auto out = (*router)->embedder()->Embed({"text " + n}, {"corr-" + n, "job-" + n, "u"});
    ASSERT_TRUE(out.ok()) << out.status().ToString();
  };

  embedder->failing = true;
  for (int i = 0; i < 8; ++i) embed(i);  // 2 failures open it; then it serves the fallback
  EXPECT_EQ(Kinds(), (std::vector<std::string>{"breaker_opened", "fallback_rate_high"}));
  auto recent = log_.Recent({});
  const Alert& opened = recent->back();
  EXPECT_EQ(opened.scope, "embed");
  EXPECT_EQ(opened.job_id, "job-1") << "the second failure tripped it";
  EXPECT_EQ(opened.correlation_id, "corr-1");
  EXPECT_EQ(opened.details["consecutive_failures"], 2);
  EXPECT_EQ(recent->front().job_id, "job-3") << "the 4th fallback crossed the rate";

  clock_.Advance(1'000);
  embedder->failing = false;
  for (int i = 8; i < 20; ++i) embed(i);  // the probe closes it; real calls lower the rate
  EXPECT_EQ(Kinds(), (std::vector<std::string>{"breaker_opened", "fallback_rate_high",
                                               "breaker_closed", "fallback_rate_normal"}));
  EXPECT_EQ(log_.Recent({})->at(1).job_id, "job-8");  // breaker_closed: the probe's job
}

TEST_F(PipelineAlertsTest, BudgetCrossingsBecomeAlertsOnceEach) {
  AlertHub hub({&clock_, &log_, nullptr, nullptr});
  PipelineAlerts alerts(&hub, {}, &clock_);
  LedgerOptions lo;
  lo.embed.hourly_usd = 1.0;
  auto ledger = SqliteLedger::Open(dir_ + "/ledger.db", &clock_, lo,
                                   [&](const LedgerAlert& a) { alerts.OnLedgerAlert(a); });
  ASSERT_TRUE(ledger.ok()) << ledger.status().ToString();
  auto spend = [&](double usd) {
    auto r = (*ledger)->Reserve({"embed", UsdToNanos(usd), "u", "job-b", "corr-b"});
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    ASSERT_TRUE((*ledger)->Settle(r->id, {UsdToNanos(usd), 1, "tokens", "m", false}).ok());
  };
  spend(0.5);
  spend(0.35);  // 85%
  spend(0.02);  // 87%: no new crossing
  spend(0.09);  // 96%
  spend(0.04);  // 100%
  EXPECT_EQ(Kinds(),
            (std::vector<std::string>{"budget_pct80", "budget_pct95", "budget_exhausted"}));
  const Alert exhausted = log_.Recent({})->front();
  EXPECT_EQ(exhausted.scope, "embed");
  EXPECT_EQ(exhausted.metric, "usd");
  EXPECT_EQ(exhausted.severity, "critical");
  EXPECT_DOUBLE_EQ(exhausted.threshold, 1.0);
  EXPECT_NEAR(exhausted.value, 1.0, 1e-9);
  EXPECT_EQ(exhausted.job_id, "job-b");
  EXPECT_EQ(exhausted.correlation_id, "corr-b");
}

// The provider billed more than the reservation held: one cost_overrun alert (job event
// COST_OVERRUN) for the window it left above its limit.
TEST_F(PipelineAlertsTest, SpendAboveTheReservationRaisesCostOverrun) {
  AlertHub hub({&clock_, &log_, nullptr, nullptr});
  PipelineAlerts alerts(&hub, {}, &clock_);
  LedgerOptions lo;
  lo.embed.daily_usd = 1.0;
  auto ledger = SqliteLedger::Open(dir_ + "/ledger.db", &clock_, lo,
                                   [&](const LedgerAlert& a) { alerts.OnLedgerAlert(a); });
  ASSERT_TRUE(ledger.ok()) << ledger.status().ToString();
  auto r = (*ledger)->Reserve({"embed", UsdToNanos(0.5), "u", "job-o", "corr-o"});
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE((*ledger)->Settle(r->id, {UsdToNanos(1.25), 1, "tokens", "m", false}).ok());
  std::vector<Alert> overruns;
  const auto recent = log_.Recent({});
  for (const Alert& a : *recent) {
    if (a.kind == "cost_overrun") overruns.push_back(a);
  }
  ASSERT_EQ(overruns.size(), 1u);
  EXPECT_EQ(overruns[0].scope, "embed");
  EXPECT_EQ(overruns[0].severity, "critical");
  EXPECT_NEAR(overruns[0].value, 1.25, 1e-9);
  EXPECT_DOUBLE_EQ(overruns[0].threshold, 1.0);
  EXPECT_EQ(overruns[0].job_id, "job-o");
  EXPECT_EQ(AlertEventCode(overruns[0]), "COST_OVERRUN");
}

TEST_F(PipelineAlertsTest, SqliteAlertLogKeepsAlertsNewestFirstAcrossReopen) {
  {
    auto log = SqliteAlertLog::Open(dir_ + "/db.sqlite");
    ASSERT_TRUE(log.ok()) << log.status().ToString();
    AlertHub hub({&clock_, log->get(), nullptr, nullptr});
    PipelineAlerts alerts(&hub, {}, &clock_);
    alerts.OnBreaker({"parse", {BreakerState::kClosed, BreakerState::kOpen}, {}, "j1", "c1"});
    clock_.Advance(5);
    alerts.OnBreaker({"parse", {BreakerState::kHalfOpen, BreakerState::kOpen}, {}, "j2", "c2"});
    alerts.OnBreaker({"parse", {BreakerState::kHalfOpen, BreakerState::kClosed}, {}, "j3", "c3"});
  }
  auto log = SqliteAlertLog::Open(dir_ + "/db.sqlite");  // migrations run once
  ASSERT_TRUE(log.ok()) << log.status().ToString();
  auto all = (*log)->Recent({});
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 2u) << "a failed probe reopening the breaker is no alert";
  EXPECT_EQ((*all)[0].kind, "breaker_closed");
  EXPECT_EQ((*all)[0].job_id, "j3");
  EXPECT_EQ((*all)[0].severity, "info");
  EXPECT_EQ((*all)[1].kind, "breaker_opened");
  EXPECT_EQ((*all)[1].details["from"], "closed");
  auto opened = (*log)->Recent({.since_ms = 0, .kind = "breaker_opened", .limit = 10});
  ASSERT_EQ(opened->size(), 1u);
  EXPECT_EQ((*opened)[0].correlation_id, "c1");
  auto newer = (*log)->Recent({.since_ms = clock_.NowMillis(), .kind = "", .limit = 10});
  EXPECT_EQ(newer->size(), 1u);
}

TEST_F(PipelineAlertsTest, ASqliteAlertOfAnotherTypeIsReadAsAbsentNotThrown) {
  const std::string path = dir_ + "/db.sqlite";
  ASSERT_TRUE(SqliteAlertLog::Open(path).ok());  // creates the table
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db,
                         "INSERT INTO alerts_log (alert_id, at_ms, kind, body) VALUES ('a1', 1, "
                         "'cost_overrun', '{\"scope\":1,\"metric\":\"m\",\"value\":\"2\","
                         "\"threshold\":[1],\"severity\":{},\"message\":true,\"job_id\":3,"
                         "\"correlation_id\":null,\"details\":7}')",
                         nullptr, nullptr, nullptr),
            SQLITE_OK)
      << sqlite3_errmsg(db);
  sqlite3_close(db);
  auto log = SqliteAlertLog::Open(path);
  ASSERT_TRUE(log.ok());
  auto all = (*log)->Recent({});
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  ASSERT_EQ(all->size(), 1u);
  const Alert& a = (*all)[0];
  EXPECT_EQ(a.kind, "cost_overrun");
  EXPECT_EQ(a.metric, "m");
  EXPECT_EQ(a.scope, "");
  EXPECT_EQ(a.value, 0.0);
  EXPECT_EQ(a.threshold, 0.0);
  EXPECT_EQ(a.severity, "");
  EXPECT_EQ(a.message, "");
  EXPECT_EQ(a.job_id, "");
}

}  // namespace
}  // namespace ingestd
