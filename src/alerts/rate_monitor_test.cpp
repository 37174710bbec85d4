#include "alerts/rate_monitor.h"

#include <gtest/gtest.h>

namespace ingestd {
namespace {

class RateMonitorTest : public ::testing::Test {
 protected:
  FakeClock clock_;
  RateMonitor monitor_{RateMonitorOptions{.threshold = 0.5,
                                          .window_ms = 10'000,
                                          .max_events = 10,
                                          .min_events = 4,
                                          .clear_ratio = 0.5,
                                          .cooldown_ms = 60'000},
                       &clock_};

  // Records the outcomes; returns how many high / normal crossings they caused.
  std::pair<int, int> Feed(const std::vector<bool>& outcomes) {
    int high = 0, normal = 0;
    for (bool bad : outcomes) {
      if (auto c = monitor_.Record(bad)) (c->high ? high : normal)++;
    }
    return {high, normal};
  }
};

TEST_F(RateMonitorTest, NoVerdictBeforeMinEvents) {
  EXPECT_EQ(Feed({true, true, true}), std::make_pair(0, 0));
  auto c = monitor_.Record(true);
  ASSERT_TRUE(c.has_value());
  EXPECT_TRUE(c->high);
  EXPECT_DOUBLE_EQ(c->rate, 1.0);
  EXPECT_EQ(c->events, 4);
  EXPECT_EQ(c->bad, 4);
}

TEST_F(RateMonitorTest, OneAlertPerCrossingWhileTheRateHoversAtTheThreshold) {
  // 50%: high once; then alternating outcomes keep it at 50% ± one call: no more crossings.
  EXPECT_EQ(Feed({false, true, false, true}), std::make_pair(1, 0));
  EXPECT_EQ(Feed({false, true, false, true, false, true, false, false}), std::make_pair(0, 0));
}

TEST_F(RateMonitorTest, ClearsOnlyBelowTheHysteresisLevel) {
  ASSERT_EQ(Feed({true, true, true, true}), std::make_pair(1, 0));
  // 10-event window: rate falls 0.9, 0.8 … 0.3 (still >= 0.25: no clear yet) …
  EXPECT_EQ(Feed({false, false, false, false, false, false, false}), std::make_pair(0, 0));
  // … 3 bad of 10 is 0.3, then 2 of 10 is 0.2 < 0.25: back to normal, once.
  auto c = monitor_.Record(false);
  ASSERT_TRUE(c.has_value());
  EXPECT_FALSE(c->high);
  EXPECT_DOUBLE_EQ(c->rate, 0.2);
  EXPECT_EQ(Feed({false, false}), std::make_pair(0, 0));
}

TEST_F(RateMonitorTest, CooldownHoldsBackASecondHighCrossing) {
  ASSERT_EQ(Feed({true, true, true, true}), std::make_pair(1, 0));
  ASSERT_EQ(Feed(std::vector<bool>(10, false)), std::make_pair(0, 1));
  clock_.Advance(30'000);  // the old outcomes leave the window
  EXPECT_EQ(Feed({true, true, true, true}), std::make_pair(0, 0)) << "within the cool-down";
  clock_.Advance(30'000);  // cool-down over: the next crossing counts
  EXPECT_EQ(Feed({true, true, true, true}), std::make_pair(1, 0));
}

TEST_F(RateMonitorTest, OutcomesOlderThanTheWindowNoLongerCount) {
  Feed({true, true, true});
  clock_.Advance(10'000);  // exactly window_ms later: the three are out
  EXPECT_EQ(Feed({false, false, false, true}), std::make_pair(0, 0));  // 1 of 4
  auto c = monitor_.Record(true);                                      // 2 of 5
  EXPECT_FALSE(c.has_value());
  c = monitor_.Record(true);  // 3 of 6
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->events, 6);
}

}  // namespace
}  // namespace ingestd
