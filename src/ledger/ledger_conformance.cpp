// Ledger conformance: arithmetic, limit windows, refusals, the stale sweep and alerts.
#include "ledger/ledger_conformance.h"

#include "ledger/windows.h"

namespace ingestd {

std::string LedgerBackendName(const ::testing::TestParamInfo<LedgerBackend>& info) {
  return info.param.name;
}

void LedgerConformanceTest::SetUp() {
  location_ = GetParam().new_database();
  ASSERT_FALSE(location_.empty()) << "backend " << GetParam().name << " has no database";
}

void LedgerConformanceTest::TearDown() {
  if (!location_.empty()) GetParam().drop_database(location_);
}

std::unique_ptr<Ledger> LedgerConformanceTest::Open(const LedgerOptions& options) {
  auto ledger = GetParam().open(location_, &clock_, options,
                                [this](const LedgerAlert& a) { alerts_.push_back(a); });
  EXPECT_TRUE(ledger.ok()) << ledger.status().ToString();
  return ledger.ok() ? std::move(*ledger) : nullptr;
}

std::unique_ptr<Ledger> LedgerConformanceTest::OpenQuiet(const LedgerOptions& options) {
  auto ledger = GetParam().open(location_, &clock_, options, nullptr);
  return ledger.ok() ? std::move(*ledger) : nullptr;
}

ReserveRequest LedgerConformanceTest::Request(int64_t estimate, std::string service) {
  ReserveRequest r;
  r.service = std::move(service);
  r.estimate_nanos = estimate;
  r.user_id = "u1";
  r.job_id = "job-1";
  r.correlation_id = "corr-1";
  return r;
}

Usage LedgerConformanceTest::Cost(int64_t nanos) {
  return Usage{nanos, 100, "tokens", "text-embedding-3-small", false};
}

LedgerOptions LedgerConformanceTest::EmbedDaily(double usd) {
  LedgerOptions o;
  o.embed.daily_usd = usd;
  return o;
}

CostQuery LedgerConformanceTest::Query(int64_t from, int64_t to, std::string group_by,
                                       std::string user) {
  CostQuery q;
  q.from_ms = from;
  q.to_ms = to;
  q.group_by = std::move(group_by);
  q.user_id = std::move(user);
  return q;
}

WindowState LedgerConformanceTest::Window(Ledger& ledger, const std::string& scope,
                                          const std::string& metric, int64_t len_ms) {
  auto windows = ledger.CurrentWindows();
  EXPECT_TRUE(windows.ok());
  if (!windows.ok()) return WindowState{};
  for (const WindowState& w : *windows) {
    if (w.scope == scope && w.metric == metric && w.window_end_ms - w.window_start_ms == len_ms) {
      return w;
    }
  }
  return WindowState{};
}

TEST_P(LedgerConformanceTest, SettleAndReleaseArithmetic) {
  auto ledger = Open(EmbedDaily(1.0));
  ASSERT_NE(ledger, nullptr);
  auto a = ledger->Reserve(Request(300));
  auto b = ledger->Reserve(Request(500));
  ASSERT_TRUE(a.ok() && b.ok());
  WindowState w = Window(*ledger, "embed", "usd", kDayMs);
  EXPECT_EQ(w.reserved, 800);
  EXPECT_EQ(w.spent, 0);
  EXPECT_EQ(w.limit, kNanosPerUsd);

  ASSERT_TRUE(ledger->Settle(a->id, Cost(250)).ok());  // actual below the estimate
  ASSERT_TRUE(ledger->Release(b->id).ok());
  w = Window(*ledger, "embed", "usd", kDayMs);
  EXPECT_EQ(w.reserved, 0);
  EXPECT_EQ(w.spent, 250);

  EXPECT_EQ(ledger->Settle(a->id, Cost(1)).code(), "RESERVATION_NOT_FOUND");
  EXPECT_EQ(ledger->Release(b->id).code(), "RESERVATION_NOT_FOUND");
  EXPECT_EQ(Window(*ledger, "embed", "usd", kDayMs).spent, 250);
  EXPECT_EQ(ledger->Settle("no-such-id", Cost(1)).code(), "RESERVATION_NOT_FOUND");
  EXPECT_EQ(ledger->Settle(a->id, Cost(-1)).code(), "USAGE_INVALID");
}

TEST_P(LedgerConformanceTest, EveryApplicableLimitIsCharged) {
  LedgerOptions o;
  o.daily_usd = 10;
  o.embed = {1.0, 0.5, 100};
  o.user_daily_usd = 2;
  auto ledger = Open(o);
  ASSERT_NE(ledger, nullptr);
  auto r = ledger->Reserve(Request(kEstimate));
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE(ledger->Settle(r->id, Cost(400)).ok());
  EXPECT_EQ(Window(*ledger, "total", "usd", kDayMs).spent, 400);
  EXPECT_EQ(Window(*ledger, "embed", "usd", kDayMs).spent, 400);
  EXPECT_EQ(Window(*ledger, "embed", "usd", kHourMs).spent, 400);
  EXPECT_EQ(Window(*ledger, "embed", "requests", kHourMs).spent, 1);
  EXPECT_EQ(Window(*ledger, "user:u1", "usd", kDayMs).spent, 400);
  // The parse service has no limits of its own but counts against the total.
  auto p = ledger->Reserve(Request(kEstimate, "parse"));
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(Window(*ledger, "total", "usd", kDayMs).reserved, kEstimate);
  EXPECT_EQ(ledger->Reserve(Request(1, "ocr")).status().code(), "RESERVATION_INVALID");
  EXPECT_EQ(ledger->Reserve(Request(-1)).status().code(), "RESERVATION_INVALID");
}

TEST_P(LedgerConformanceTest, ConfiguredLimitsShowBeforeAnySpend) {
  LedgerOptions o;
  o.daily_usd = 3;
  o.parse.hourly_requests = 7;
  auto ledger = Open(o);
  ASSERT_NE(ledger, nullptr);
  auto windows = ledger->CurrentWindows();
  ASSERT_TRUE(windows.ok());
  ASSERT_EQ(windows->size(), 2u);  // the total once, not once per service
  EXPECT_EQ(Window(*ledger, "total", "usd", kDayMs).limit, 3 * kNanosPerUsd);
  EXPECT_EQ(Window(*ledger, "parse", "requests", kHourMs).limit, 7);
  EXPECT_EQ(Window(*ledger, "parse", "requests", kHourMs).spent, 0);
}

TEST_P(LedgerConformanceTest, NoLimitsMeansEveryReservationSucceeds) {
  auto ledger = Open(LedgerOptions{});
  ASSERT_NE(ledger, nullptr);
  for (int i = 0; i < 5; ++i) {
    auto r = ledger->Reserve(Request(kNanosPerUsd * 1000));
    ASSERT_TRUE(r.ok());
    ASSERT_TRUE(ledger->Settle(r->id, Cost(kNanosPerUsd)).ok());
  }
  auto costs = ledger->Costs(Query(0, clock_.NowMillis() + 1, "service"));
  ASSERT_TRUE(costs.ok());
  ASSERT_EQ(costs->rows.size(), 1u);
  EXPECT_EQ(costs->rows[0].cost_nanos, 5 * kNanosPerUsd);
}

TEST_P(LedgerConformanceTest, HourlyRequestWindowRollsOverAtTheHour) {
  LedgerOptions o;
  o.parse.hourly_requests = 2;
  auto ledger = Open(o);
  ASSERT_NE(ledger, nullptr);
  for (int i = 0; i < 2; ++i) {
    auto r = ledger->Reserve(Request(0, "parse"));
    ASSERT_TRUE(r.ok());
    ASSERT_TRUE(ledger->Settle(r->id, Usage{0, 1, "pages", "", true}).ok());
  }
  auto refused = ledger->Reserve(Request(0, "parse"));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().kind(), Kind::kBudgetExceeded);
  EXPECT_TRUE(refused.status().retryable());
  const int64_t next_hour = WindowStart(clock_.NowMillis(), kHourMs) + kHourMs;
  EXPECT_EQ(refused.status().retry_after_ms(), next_hour - clock_.NowMillis());

  clock_.Set(next_hour - 1);
  EXPECT_FALSE(ledger->Reserve(Request(0, "parse")).ok());
  clock_.Set(next_hour);
  EXPECT_TRUE(ledger->Reserve(Request(0, "parse")).ok());
  EXPECT_EQ(Window(*ledger, "parse", "requests", kHourMs).reserved, 1);
  EXPECT_EQ(Window(*ledger, "parse", "requests", kHourMs).spent, 0);
}

TEST_P(LedgerConformanceTest, DailyLimitWaitsForUtcMidnight) {
  LedgerOptions o;
  o.daily_usd = 0.001;
  o.embed.hourly_usd = 0.001;
  auto ledger = Open(o);
  ASSERT_NE(ledger, nullptr);
  auto r = ledger->Reserve(Request(kEstimate));
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE(ledger->Settle(r->id, Cost(kEstimate)).ok());
  auto refused = ledger->Reserve(Request(kEstimate));
  const int64_t midnight = WindowStart(clock_.NowMillis(), kDayMs) + kDayMs;
  // Both the hour and the day are full: the day decides.
  EXPECT_EQ(refused.status().retry_after_ms(), midnight - clock_.NowMillis());
  clock_.Set(midnight);
  EXPECT_TRUE(ledger->Reserve(Request(kEstimate)).ok());
}

TEST_P(LedgerConformanceTest, OpenReservationsBlockOnlyBriefly) {
  LedgerOptions o = EmbedDaily(0.001);
  o.reserved_retry_ms = 3'000;
  auto ledger = Open(o);
  ASSERT_NE(ledger, nullptr);
  ASSERT_TRUE(ledger->Reserve(Request(kEstimate)).ok());
  auto refused = ledger->Reserve(Request(kEstimate));
  EXPECT_EQ(refused.status().code(), "BUDGET_EXCEEDED");
  EXPECT_EQ(refused.status().retry_after_ms(), 3'000);
  EXPECT_TRUE(alerts_.empty());  // spend alone does not exhaust the window
}

TEST_P(LedgerConformanceTest, EstimateLargerThanTheLimitIsNotRetryable) {
  auto ledger = Open(EmbedDaily(0.001));
  ASSERT_NE(ledger, nullptr);
  auto refused = ledger->Reserve(Request(kEstimate + 1));
  EXPECT_EQ(refused.status().code(), "BUDGET_ESTIMATE_TOO_LARGE");
  EXPECT_FALSE(refused.status().retryable());
  EXPECT_EQ(Window(*ledger, "embed", "usd", kDayMs).reserved, 0);
}

TEST_P(LedgerConformanceTest, StaleReservationsAreReleasedAfterTheTimeout) {
  LedgerOptions o = EmbedDaily(0.001);
  o.reservation_timeout_ms = 60'000;
  auto ledger = Open(o);
  ASSERT_NE(ledger, nullptr);
  auto r = ledger->Reserve(Request(kEstimate));  // its process "dies" before settling
  ASSERT_TRUE(r.ok());
  clock_.Advance(59'999);
  EXPECT_EQ(*ledger->SweepExpired(), 0);
  clock_.Advance(1);
  EXPECT_EQ(*ledger->SweepExpired(), 1);
  EXPECT_EQ(*ledger->SweepExpired(), 0);
  EXPECT_EQ(Window(*ledger, "embed", "usd", kDayMs).reserved, 0);
  EXPECT_EQ(Window(*ledger, "embed", "usd", kDayMs).spent, 0);
  EXPECT_EQ(ledger->Costs(Query(0, clock_.NowMillis() + 1, "service"))->open_reservations, 0);
  EXPECT_TRUE(ledger->Reserve(Request(kEstimate)).ok());
}

// Reserve sweeps on its own: a reservation whose process died does not block for long.
TEST_P(LedgerConformanceTest, ReserveSweepsStaleReservations) {
  LedgerOptions o = EmbedDaily(0.001);
  o.reservation_timeout_ms = 60'000;
  auto dead = Open(o);
  ASSERT_NE(dead, nullptr);
  ASSERT_TRUE(dead->Reserve(Request(kEstimate)).ok());
  auto ledger = Open(o);
  EXPECT_EQ(ledger->Reserve(Request(kEstimate)).status().code(), "BUDGET_EXCEEDED");
  clock_.Advance(60'000);
  EXPECT_TRUE(ledger->Reserve(Request(kEstimate)).ok());
}

TEST_P(LedgerConformanceTest, AlertsAtThresholdsFireOnce) {
  auto ledger = Open(EmbedDaily(0.001));  // 1,000,000 nanos
  ASSERT_NE(ledger, nullptr);
  auto settle = [&](int64_t cost) {
    auto r = ledger->Reserve(Request(cost));
    ASSERT_TRUE(r.ok());
    ASSERT_TRUE(ledger->Settle(r->id, Cost(cost)).ok());
  };
  settle(790'000);
  EXPECT_TRUE(alerts_.empty());
  settle(10'000);  // 80%
  ASSERT_EQ(alerts_.size(), 1u);
  EXPECT_EQ(alerts_[0].kind, "pct80");
  EXPECT_EQ(alerts_[0].scope, "embed");
  EXPECT_EQ(alerts_[0].spent, 800'000);
  EXPECT_EQ(alerts_[0].job_id, "job-1");
  settle(100);  // still above 80%: no second alert
  EXPECT_EQ(alerts_.size(), 1u);
  settle(199'900);  // 95% and 100% at once
  ASSERT_EQ(alerts_.size(), 3u);
  EXPECT_EQ(alerts_[1].kind, "pct95");
  EXPECT_EQ(alerts_[2].kind, "exhausted");
  auto stored = ledger->RecentAlerts(0);
  ASSERT_TRUE(stored.ok());
  ASSERT_EQ(stored->size(), 3u);
  EXPECT_EQ((*stored)[0].kind, "pct80");
  EXPECT_EQ((*stored)[0].correlation_id, "corr-1");
  EXPECT_TRUE(ledger->RecentAlerts(clock_.NowMillis() + 1)->empty());
}

// A refusal because spend filled the window raises "exhausted" once, even from two ledgers.
TEST_P(LedgerConformanceTest, RefusalByExhaustedWindowAlertsOnce) {
  auto ledger = Open(EmbedDaily(0.001));
  ASSERT_NE(ledger, nullptr);
  auto r = ledger->Reserve(Request(900'000));
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE(ledger->Settle(r->id, Usage{900'000, 1, "tokens", "m", false}).ok());
  alerts_.clear();  // pct80 and pct95
  EXPECT_EQ(ledger->Reserve(Request(200'000)).status().code(), "BUDGET_EXCEEDED");
  ASSERT_EQ(alerts_.size(), 1u);
  EXPECT_EQ(alerts_[0].kind, "exhausted");
  EXPECT_EQ(alerts_[0].spent, 900'000);
  auto other = Open(EmbedDaily(0.001));
  EXPECT_EQ(other->Reserve(Request(200'000)).status().code(), "BUDGET_EXCEEDED");
  EXPECT_EQ(alerts_.size(), 1u);
  EXPECT_TRUE(ledger->Reserve(Request(100'000)).ok());  // what is left still fits
}

TEST_P(LedgerConformanceTest, PaidCallSettledAtZeroRaisesAnAlert) {
  auto ledger = Open(LedgerOptions{});
  ASSERT_NE(ledger, nullptr);
  auto r = ledger->Reserve(Request(kEstimate));
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE(ledger->Settle(r->id, Cost(0)).ok());
  ASSERT_EQ(alerts_.size(), 1u);
  EXPECT_EQ(alerts_[0].kind, "zero_cost");
  EXPECT_EQ(alerts_[0].job_id, "job-1");
  auto cached = ledger->Reserve(Request(kEstimate));
  ASSERT_TRUE(cached.ok());
  ASSERT_TRUE(ledger->Settle(cached->id, Usage{0, 3, "pages", "", /*cache_hit=*/true}).ok());
  EXPECT_EQ(alerts_.size(), 1u);
  auto again = ledger->Reserve(Request(kEstimate));  // every such call raises one
  ASSERT_TRUE(ledger->Settle(again->id, Cost(0)).ok());
  EXPECT_EQ(alerts_.size(), 2u);
  EXPECT_EQ(ledger->RecentAlerts(0)->size(), 2u);
}

}  // namespace ingestd
