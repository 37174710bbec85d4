// Ledger conformance: the priority reserve (LedgerOptions::priority_reserve_pct). Below
// priority_min a reservation stops at the reduced limit and waits for the next window; at or
// above it, it gets through up to the full limit.
#include "ledger/ledger_conformance.h"
#include "ledger/windows.h"

namespace ingestd {
namespace {

constexpr int64_t kLimit = 4'000'000;  // $0.004, four kEstimate
constexpr int kUrgent = 50;

LedgerOptions Reserving(int pct) {
  LedgerOptions o;
  o.priority_reserve_pct = pct;
  o.priority_min = kUrgent;
  return o;
}

}  // namespace

TEST_P(LedgerConformanceTest, LowPriorityWaitsAtThePriorityReserveForTheNextWindow) {
  LedgerOptions o = Reserving(25);  // the last $0.001 of $0.004 is for priority >= 50
  o.embed.hourly_usd = 0.004;
  auto ledger = Open(o);
  ASSERT_NE(ledger, nullptr);
  clock_.Set(WindowStart(clock_.NowMillis(), kHourMs) + 20 * 60'000);
  const int64_t next_hour = WindowStart(clock_.NowMillis(), kHourMs) + kHourMs;
  auto at = [&](int priority) {
    ReserveRequest r = Request(kEstimate);
    r.processing_priority = priority;
    return ledger->Reserve(r);
  };
  for (int i = 0; i < 3; ++i) {
    auto r = at(kUrgent - 1);
    ASSERT_TRUE(r.ok()) << i << ": " << r.status().ToString();
    ASSERT_TRUE(ledger->Settle(r->id, Cost(kEstimate)).ok());
  }
  auto low = at(kUrgent - 1);
  ASSERT_FALSE(low.ok());
  EXPECT_EQ(low.status().kind(), Kind::kBudgetExceeded);
  EXPECT_EQ(low.status().code(), "BUDGET_EXCEEDED");
  EXPECT_TRUE(low.status().retryable());
  EXPECT_EQ(low.status().retry_after_ms(), next_hour - clock_.NowMillis());
  EXPECT_TRUE(alerts_.empty()) << "the window is not exhausted, only reserved for urgent work";
  EXPECT_EQ(Window(*ledger, "embed", "usd", kHourMs).reserved, 0);  // nothing taken

  auto urgent = at(kUrgent);
  ASSERT_TRUE(urgent.ok()) << urgent.status().ToString();
  ASSERT_TRUE(ledger->Settle(urgent->id, Cost(kEstimate)).ok());
  EXPECT_EQ(Window(*ledger, "embed", "usd", kHourMs).spent, kLimit);  // the full limit
  auto full = at(100);
  EXPECT_EQ(full.status().code(), "BUDGET_EXCEEDED");
  EXPECT_EQ(full.status().retry_after_ms(), next_hour - clock_.NowMillis());

  clock_.Set(next_hour - 1);
  EXPECT_EQ(at(kUrgent - 1).status().code(), "BUDGET_EXCEEDED");
  clock_.Set(next_hour);
  auto next = at(kUrgent - 1);
  ASSERT_TRUE(next.ok()) << next.status().ToString();
  EXPECT_EQ(Window(*ledger, "embed", "usd", kHourMs).reserved, kEstimate);
}

TEST_P(LedgerConformanceTest, PriorityReserveHoldsBackEveryUsdLimitButNotTheRequestCount) {
  struct Case {
    const char* name;
    std::function<void(LedgerOptions*)> limit;
    const char* scope;
    int64_t len_ms;
  };
  const Case cases[] = {
      {"daily total", [](LedgerOptions* o) { o->daily_usd = 0.004; }, "total", kDayMs},
      {"service daily", [](LedgerOptions* o) { o->embed.daily_usd = 0.004; }, "embed", kDayMs},
      {"service hourly", [](LedgerOptions* o) { o->embed.hourly_usd = 0.004; }, "embed", kHourMs},
      {"user daily", [](LedgerOptions* o) { o->user_daily_usd = 0.004; }, "user:u1", kDayMs},
  };
  // Each case is another ledger on the same database with only its own limit, so the windows
  // of earlier cases are not counted.
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    LedgerOptions o = Reserving(25);
    c.limit(&o);
    auto ledger = Open(o);
    ASSERT_NE(ledger, nullptr);
    ReserveRequest low = Request(3 * kEstimate);
    low.processing_priority = -100;
    ASSERT_TRUE(ledger->Reserve(low).ok());  // exactly up to the reserve line
    low.estimate_nanos = 1;
    EXPECT_EQ(ledger->Reserve(low).status().code(), "BUDGET_EXCEEDED");
    ReserveRequest urgent = Request(kEstimate);
    urgent.processing_priority = kUrgent;
    EXPECT_TRUE(ledger->Reserve(urgent).ok());
    EXPECT_EQ(Window(*ledger, c.scope, "usd", c.len_ms).reserved, kLimit);
  }

  // The hourly request count is a rate, not money: low priority may use all of it.
  LedgerOptions o = Reserving(50);
  o.parse.hourly_requests = 4;
  auto ledger = Open(o);
  ASSERT_NE(ledger, nullptr);
  for (int i = 0; i < 4; ++i) EXPECT_TRUE(ledger->Reserve(Request(0, "parse")).ok()) << i;
  EXPECT_EQ(ledger->Reserve(Request(0, "parse")).status().code(), "BUDGET_EXCEEDED");
}

TEST_P(LedgerConformanceTest, AnEstimateLargerThanWhatTheReserveLeavesNeverFitsAtLowPriority) {
  LedgerOptions o = Reserving(25);
  o.embed.daily_usd = 0.004;
  auto ledger = Open(o);
  ASSERT_NE(ledger, nullptr);
  ReserveRequest r = Request(3 * kEstimate + 1);
  auto low = ledger->Reserve(r);
  EXPECT_EQ(low.status().code(), "BUDGET_ESTIMATE_TOO_LARGE");
  EXPECT_FALSE(low.status().retryable());
  r.processing_priority = kUrgent;
  EXPECT_TRUE(ledger->Reserve(r).ok());
}

TEST_P(LedgerConformanceTest, NoPriorityReserveLetsEveryPriorityUseTheFullLimit) {
  LedgerOptions o = Reserving(0);
  o.embed.daily_usd = 0.004;
  o.user_daily_usd = 0.004;
  auto ledger = Open(o);
  ASSERT_NE(ledger, nullptr);
  ReserveRequest r = Request(kEstimate);
  r.processing_priority = -100;
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(ledger->Reserve(r).ok()) << i;
  EXPECT_EQ(Window(*ledger, "embed", "usd", kDayMs).reserved, kLimit);
  auto refused = ledger->Reserve(r);
  EXPECT_EQ(refused.status().code(), "BUDGET_EXCEEDED");
  EXPECT_EQ(refused.status().retry_after_ms(), o.reserved_retry_ms);  // open reservations only
}

}  // namespace ingestd
