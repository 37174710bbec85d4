// Ledger conformance: reservations that outlive their holder's extensions lapse (released or
// charged, as the holder chose), a settle that arrives after the lapse is still recorded in
// full, and spend above what a reservation held raises cost_overrun.
#include "ledger/ledger_conformance.h"
#include "ledger/windows.h"

namespace ingestd {
namespace {

constexpr int64_t kTimeout = 60'000;

LedgerOptions Limited(double embed_daily_usd) {
  LedgerOptions o;
  if (embed_daily_usd > 0) o.embed.daily_usd = embed_daily_usd;
  o.reservation_timeout_ms = kTimeout;
  return o;
}

ReserveRequest Charged(int64_t estimate) {
  ReserveRequest r{"embed", estimate, "u1", "job-1", "corr-1"};
  r.on_expiry = OnExpiry::kCharge;
  return r;
}

std::vector<LedgerAlert> OfKind(const std::vector<LedgerAlert>& alerts, const std::string& kind) {
  std::vector<LedgerAlert> out;
  for (const LedgerAlert& a : alerts) {
    if (a.kind == kind) out.push_back(a);
  }
  return out;
}

}  // namespace

// A holder that keeps extending (its call is alive) keeps its reservation, however long.
TEST_P(LedgerConformanceTest, ExtendedReservationsNeverLapse) {
  auto ledger = Open(Limited(0.001));
  ASSERT_NE(ledger, nullptr);
  auto r = ledger->Reserve(Request(kEstimate));
  ASSERT_TRUE(r.ok());
  for (int i = 0; i < 10; ++i) {  // 10 minutes of a 1-minute timeout
    clock_.Advance(kTimeout / 2);
    ASSERT_EQ(*ledger->Extend({r->id, "no-such-id"}, clock_.NowMillis() + kTimeout), 1);
    ASSERT_EQ(*ledger->SweepExpired(), 0);
  }
  EXPECT_EQ(ledger->Extend({r->id}, clock_.NowMillis()).value(), 1);  // never earlier
  clock_.Advance(kTimeout - 1);
  EXPECT_EQ(*ledger->SweepExpired(), 0);
  clock_.Advance(1);
  EXPECT_EQ(*ledger->SweepExpired(), 1);
  EXPECT_EQ(*ledger->Extend({r->id}, clock_.NowMillis() + kTimeout), 0);  // not revived
  EXPECT_EQ(Window(*ledger, "embed", "usd", kDayMs).reserved, 0);
  ASSERT_TRUE(ledger->Settle(r->id, Cost(kEstimate)).ok());  // recorded all the same
  EXPECT_EQ(Window(*ledger, "embed", "usd", kDayMs).spent, kEstimate);
}

// A holder that waits on a provider without a thread (a parked job) sets its own deadline.
TEST_P(LedgerConformanceTest, AReservationLivesUntilItsHoldersDeadline) {
  auto ledger = Open(Limited(0));
  ASSERT_NE(ledger, nullptr);
  ReserveRequest req = Request(kEstimate, "parse");
  req.expires_at_ms = clock_.NowMillis() + 30 * 60'000;
  auto r = ledger->Reserve(req);
  ASSERT_TRUE(r.ok());
  clock_.Advance(30 * 60'000 - 1);
  EXPECT_EQ(*ledger->SweepExpired(), 0);
  clock_.Advance(1);
  EXPECT_EQ(*ledger->SweepExpired(), 1);
}

// A settle that finds its reservation released by the sweep records the spend in full, and
// cost_overrun says that nothing was held for it.
TEST_P(LedgerConformanceTest, SettleAfterTheSweepReleasedRecordsTheSpendInFull) {
  auto ledger = Open(Limited(0.01));
  ASSERT_NE(ledger, nullptr);
  auto r = ledger->Reserve(Request(kEstimate));
  ASSERT_TRUE(r.ok());
  clock_.Advance(kTimeout);
  ASSERT_EQ(*ledger->SweepExpired(), 1);
  ASSERT_TRUE(ledger->Settle(r->id, Cost(700'000)).ok());
  EXPECT_EQ(Window(*ledger, "embed", "usd", kDayMs).spent, 700'000);
  EXPECT_EQ(Window(*ledger, "embed", "usd", kDayMs).reserved, 0);
  auto costs = ledger->Costs(Query(0, clock_.NowMillis() + 1, "service"));
  ASSERT_EQ(costs->rows.size(), 1u);
  EXPECT_EQ(costs->rows[0].cost_nanos, 700'000);
  EXPECT_EQ(costs->rows[0].calls, 1);
  const auto overruns = OfKind(alerts_, "cost_overrun");
  ASSERT_EQ(overruns.size(), 1u);
  EXPECT_EQ(overruns[0].scope, "embed");  // no window went over: the service's alert
  EXPECT_EQ(overruns[0].spent, 700'000);
  EXPECT_EQ(overruns[0].limit, 0);  // nothing held
  EXPECT_EQ(overruns[0].reservation_id, r->id);
  EXPECT_EQ(OfKind(*ledger->RecentAlerts(0), "cost_overrun").size(), 1u);
  EXPECT_EQ(ledger->Settle(r->id, Cost(1)).code(), "RESERVATION_NOT_FOUND");  // never twice
  EXPECT_EQ(ledger->Release(r->id).code(), "RESERVATION_NOT_FOUND");
}

// A late settle that takes a window over its limit names the window.
TEST_P(LedgerConformanceTest, LateSettleOverTheLimitRaisesCostOverrunForTheWindow) {
  auto ledger = Open(Limited(0.001));  // 1,000,000 nanos
  ASSERT_NE(ledger, nullptr);
  auto late = ledger->Reserve(Request(800'000));
  ASSERT_TRUE(late.ok());
  clock_.Advance(kTimeout);
  ASSERT_EQ(*ledger->SweepExpired(), 1);  // released: the room goes to the next call
  auto next = ledger->Reserve(Request(900'000));
  ASSERT_TRUE(next.ok());
  ASSERT_TRUE(ledger->Settle(next->id, Cost(900'000)).ok());
  alerts_.clear();
  ASSERT_TRUE(ledger->Settle(late->id, Cost(800'000)).ok());
  EXPECT_EQ(Window(*ledger, "embed", "usd", kDayMs).spent, 1'700'000);
  const auto overruns = OfKind(alerts_, "cost_overrun");
  ASSERT_EQ(overruns.size(), 1u);
  EXPECT_EQ(overruns[0].scope, "embed");
  EXPECT_EQ(overruns[0].metric, "usd");
  EXPECT_EQ(overruns[0].spent, 1'700'000);
  EXPECT_EQ(overruns[0].limit, 1'000'000);
  EXPECT_EQ(overruns[0].window_start_ms, WindowStart(clock_.NowMillis(), kDayMs));
}

// The provider billed more than estimated: recorded in full, cost_overrun raised.
TEST_P(LedgerConformanceTest, SettleAboveTheEstimateIsRecordedInFullAndAlerts) {
  auto ledger = Open(Limited(0.001));
  ASSERT_NE(ledger, nullptr);
  auto r = ledger->Reserve(Request(600'000));
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE(ledger->Settle(r->id, Cost(1'200'000)).ok());
  EXPECT_EQ(Window(*ledger, "embed", "usd", kDayMs).spent, 1'200'000);
  auto overruns = OfKind(alerts_, "cost_overrun");
  ASSERT_EQ(overruns.size(), 1u);
  EXPECT_EQ(overruns[0].spent, 1'200'000);
  EXPECT_EQ(overruns[0].limit, 1'000'000);
  EXPECT_EQ(OfKind(alerts_, "exhausted").size(), 1u);

  // Within the limits (none here), the service's alert compares with the estimate.
  auto free = Open(LedgerOptions{});
  alerts_.clear();
  auto s = free->Reserve(Request(100));
  ASSERT_TRUE(s.ok());
  ASSERT_TRUE(free->Settle(s->id, Cost(150)).ok());
  overruns = OfKind(alerts_, "cost_overrun");
  ASSERT_EQ(overruns.size(), 1u);
  EXPECT_EQ(overruns[0].scope, "embed");
  EXPECT_EQ(overruns[0].spent, 150);
  EXPECT_EQ(overruns[0].limit, 100);
  auto exact = free->Reserve(Request(100));
  ASSERT_TRUE(free->Settle(exact->id, Cost(100)).ok());  // at the estimate: no alert
  EXPECT_EQ(OfKind(alerts_, "cost_overrun").size(), 1u);
}

// kCharge: the lapse charges the estimate (spend, one request) until the truth arrives; a
// late settle replaces it, a late release undoes it.
TEST_P(LedgerConformanceTest, ChargedLapseIsReplacedByALateSettleOrUndoneByARelease) {
  LedgerOptions o = Limited(0.01);
  o.embed.hourly_requests = 10;
  auto ledger = Open(o);
  ASSERT_NE(ledger, nullptr);
  auto a = ledger->Reserve(Charged(kEstimate));
  auto b = ledger->Reserve(Charged(kEstimate));
  auto never = ledger->Reserve(Charged(kEstimate));
  ASSERT_TRUE(a.ok() && b.ok() && never.ok());
  clock_.Advance(kTimeout);
  ASSERT_EQ(*ledger->SweepExpired(), 3);
  EXPECT_EQ(Window(*ledger, "embed", "usd", kDayMs).spent, 3 * kEstimate);
  EXPECT_EQ(Window(*ledger, "embed", "usd", kDayMs).reserved, 0);
  EXPECT_EQ(Window(*ledger, "embed", "requests", kHourMs).spent, 3);
  auto costs = ledger->Costs(Query(0, clock_.NowMillis() + 1, "service"));
  ASSERT_EQ(costs->rows.size(), 1u);
  EXPECT_EQ(costs->rows[0].cost_nanos, 3 * kEstimate);

  ASSERT_TRUE(ledger->Settle(a->id, Cost(400'000)).ok());
  ASSERT_TRUE(ledger->Release(b->id).ok());
  EXPECT_EQ(Window(*ledger, "embed", "usd", kDayMs).spent, kEstimate + 400'000);
  EXPECT_EQ(Window(*ledger, "embed", "requests", kHourMs).spent, 2);
  costs = ledger->Costs(Query(0, clock_.NowMillis() + 1, "service"));
  ASSERT_EQ(costs->rows.size(), 1u);
  EXPECT_EQ(costs->rows[0].cost_nanos, kEstimate + 400'000);
  EXPECT_EQ(costs->rows[0].calls, 2);
  EXPECT_TRUE(OfKind(alerts_, "cost_overrun").empty());  // below what the lapse charged
}

// A released lapse gave its request back; a late settle counts it again.
TEST_P(LedgerConformanceTest, LateSettleCountsTheRequestAReleasedLapseGaveBack) {
  LedgerOptions o = Limited(0);
  o.parse.hourly_requests = 5;
  auto ledger = Open(o);
  ASSERT_NE(ledger, nullptr);
  auto r = ledger->Reserve(Request(kEstimate, "parse"));
  ASSERT_TRUE(r.ok());
  clock_.Advance(kTimeout);
  ASSERT_EQ(*ledger->SweepExpired(), 1);
  EXPECT_EQ(Window(*ledger, "parse", "requests", kHourMs).reserved, 0);
  ASSERT_TRUE(ledger->Settle(r->id, Usage{kEstimate, 3, "pages", "", false}).ok());
  EXPECT_EQ(Window(*ledger, "parse", "requests", kHourMs).spent, 1);
}

// Tombstones are kept for lapsed_retention_ms, then forgotten.
TEST_P(LedgerConformanceTest, LapsedTombstonesAreForgottenAfterTheRetention) {
  LedgerOptions o = Limited(0);
  o.lapsed_retention_ms = 3'600'000;
  auto ledger = Open(o);
  ASSERT_NE(ledger, nullptr);
  auto kept = ledger->Reserve(Request(kEstimate));
  auto gone = ledger->Reserve(Request(kEstimate));
  ASSERT_TRUE(kept.ok() && gone.ok());
  clock_.Advance(kTimeout);
  ASSERT_EQ(*ledger->SweepExpired(), 2);
  clock_.Advance(3'600'000 - 1);
  ASSERT_EQ(*ledger->SweepExpired(), 0);
  EXPECT_TRUE(ledger->Settle(kept->id, Cost(1)).ok());
  clock_.Advance(1);
  ASSERT_EQ(*ledger->SweepExpired(), 0);
  EXPECT_EQ(ledger->Settle(gone->id, Cost(1)).code(), "RESERVATION_NOT_FOUND");
}

}  // namespace ingestd
