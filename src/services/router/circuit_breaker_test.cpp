#include "services/router/circuit_breaker.h"

#include <gtest/gtest.h>

namespace ingestd {
namespace {

class CircuitBreakerTest : public ::testing::Test {
 protected:
  FakeClock clock_;
  CircuitBreaker breaker_{BreakerOptions{3, 1'000, 4}, &clock_};

  void Fail(int n) {
    for (int i = 0; i < n; ++i) {
      ASSERT_TRUE(breaker_.Allow());
      breaker_.RecordFailure();
    }
  }
};

TEST_F(CircuitBreakerTest, OpensAfterThresholdConsecutiveFailures) {
  Fail(2);
  ASSERT_TRUE(breaker_.Allow());
  breaker_.RecordSuccess();  // resets the run
  Fail(2);
  EXPECT_EQ(breaker_.Snapshot().state, BreakerState::kClosed);
  Fail(1);
  EXPECT_EQ(breaker_.Snapshot().state, BreakerState::kOpen);
  EXPECT_FALSE(breaker_.Allow());
  EXPECT_EQ(breaker_.RetryAfterMs(), 1'000);
}

TEST_F(CircuitBreakerTest, HalfOpenLetsOneProbeThrough) {
  Fail(3);
  clock_.Advance(999);
  EXPECT_FALSE(breaker_.Allow());
  clock_.Advance(1);
  EXPECT_TRUE(breaker_.Allow());  // the probe
  EXPECT_EQ(breaker_.Snapshot().state, BreakerState::kHalfOpen);
  EXPECT_FALSE(breaker_.Allow());  // only one at a time
  breaker_.RecordSuccess();
  EXPECT_EQ(breaker_.Snapshot().state, BreakerState::kClosed);
  EXPECT_TRUE(breaker_.Allow());
}

TEST_F(CircuitBreakerTest, FailedProbeReopensForAnotherInterval) {
  Fail(3);
  clock_.Advance(1'000);
  ASSERT_TRUE(breaker_.Allow());
  breaker_.RecordFailure();
  EXPECT_EQ(breaker_.Snapshot().state, BreakerState::kOpen);
  clock_.Advance(999);
  EXPECT_FALSE(breaker_.Allow());
  clock_.Advance(1);
  EXPECT_TRUE(breaker_.Allow());
}

TEST_F(CircuitBreakerTest, NeutralOutcomeFreesTheProbeSlot) {
  Fail(3);
  clock_.Advance(1'000);
  ASSERT_TRUE(breaker_.Allow());
  breaker_.RecordNeutral();  // e.g. the budget refused the call before it went out
  EXPECT_TRUE(breaker_.Allow());
}

TEST_F(CircuitBreakerTest, ErrorRateCoversTheLastWindow) {
  Fail(2);
  ASSERT_TRUE(breaker_.Allow());
  breaker_.RecordSuccess();
  ASSERT_TRUE(breaker_.Allow());
  breaker_.RecordSuccess();
  EXPECT_DOUBLE_EQ(breaker_.Snapshot().error_rate, 0.5);
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(breaker_.Allow());
    breaker_.RecordSuccess();
  }
  EXPECT_DOUBLE_EQ(breaker_.Snapshot().error_rate, 0.0);  // window of 4
  EXPECT_EQ(breaker_.Snapshot().recent_calls, 4);
}

TEST_F(CircuitBreakerTest, ReportsOpenedAndClosedTransitionsOnce) {
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(breaker_.Allow());
    EXPECT_FALSE(breaker_.RecordFailure().has_value());
  }
  ASSERT_TRUE(breaker_.Allow());
  auto opened = breaker_.RecordFailure();
  ASSERT_TRUE(opened.has_value());
  EXPECT_EQ(opened->from, BreakerState::kClosed);
  EXPECT_EQ(opened->to, BreakerState::kOpen);
  EXPECT_FALSE(breaker_.RecordFailure().has_value());  // a call in flight: already open
  clock_.Advance(1'000);
  ASSERT_TRUE(breaker_.Allow());
  auto reopened = breaker_.RecordFailure();
  ASSERT_TRUE(reopened.has_value());
  EXPECT_EQ(reopened->from, BreakerState::kHalfOpen);
  clock_.Advance(1'000);
  ASSERT_TRUE(breaker_.Allow());
  auto closed = breaker_.RecordSuccess();
  ASSERT_TRUE(closed.has_value());
  EXPECT_EQ(closed->from, BreakerState::kHalfOpen);
  EXPECT_EQ(closed->to, BreakerState::kClosed);
  ASSERT_TRUE(breaker_.Allow());
  EXPECT_FALSE(breaker_.RecordSuccess().has_value());
}

TEST_F(CircuitBreakerTest, FailedProbesOpenItWithoutAnyCall) {
  EXPECT_FALSE(breaker_.RecordProbe(false));
  EXPECT_FALSE(breaker_.RecordProbe(false));
  auto opened = breaker_.RecordProbe(false);
  ASSERT_TRUE(opened);
  EXPECT_EQ(opened->from, BreakerState::kClosed);
  EXPECT_EQ(opened->to, BreakerState::kOpen);
  EXPECT_FALSE(breaker_.Allow());
  EXPECT_EQ(breaker_.Snapshot().recent_calls, 0);  // probes are not calls
  // Another failed probe while open restarts the open interval.
  clock_.Advance(900);
  breaker_.RecordProbe(false);
  EXPECT_EQ(breaker_.RetryAfterMs(), 1'000);
}

TEST_F(CircuitBreakerTest, ASuccessfulProbeClosesOnlyAfterTheOpenInterval) {
  Fail(3);
  clock_.Advance(999);
  EXPECT_FALSE(breaker_.RecordProbe(true));
  EXPECT_EQ(breaker_.Snapshot().state, BreakerState::kOpen);
  clock_.Advance(1);
  auto closed = breaker_.RecordProbe(true);
  ASSERT_TRUE(closed);
  EXPECT_EQ(closed->to, BreakerState::kClosed);
  EXPECT_EQ(breaker_.Snapshot().consecutive_failures, 0);
  EXPECT_TRUE(breaker_.Allow());
}

TEST_F(CircuitBreakerTest, AProbeNeverStealsTheHalfOpenTrialCall) {
  Fail(3);
  clock_.Advance(1'000);
  ASSERT_TRUE(breaker_.Allow());  // the trial call is in flight
  EXPECT_FALSE(breaker_.RecordProbe(true));
  EXPECT_EQ(breaker_.Snapshot().state, BreakerState::kHalfOpen);
  EXPECT_FALSE(breaker_.Allow());
  breaker_.RecordNeutral();  // the trial told nothing; the next probe may close
  EXPECT_TRUE(breaker_.RecordProbe(true));
  EXPECT_EQ(breaker_.Snapshot().state, BreakerState::kClosed);
}

TEST_F(CircuitBreakerTest, ASuccessfulProbeDoesNotForgiveFailedCalls) {
  Fail(2);
  EXPECT_FALSE(breaker_.RecordProbe(true));
  EXPECT_EQ(breaker_.Snapshot().consecutive_failures, 2);
  Fail(1);
  EXPECT_EQ(breaker_.Snapshot().state, BreakerState::kOpen);
}

}  // namespace
}  // namespace ingestd
