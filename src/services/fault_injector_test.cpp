#include "services/fault_injector.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace ingestd {
namespace {

TEST(ParseFaultSpec, EmptyMeansNoFaults) {
  auto r = ParseFaultSpec("");
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->any());
}

TEST(ParseFaultSpec, ParsesEveryItem) {
  auto r = ParseFaultSpec("transient:3, every:5,latency:200");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->fail_first_n, 3);
  EXPECT_EQ(r->fail_every_nth, 5);
  EXPECT_EQ(r->latency_ms, 200);
  EXPECT_FALSE(r->permanent);
}

TEST(ParseFaultSpec, PermanentWithAndWithoutCount) {
  auto all = ParseFaultSpec("permanent");
  ASSERT_TRUE(all.ok());
  EXPECT_TRUE(all->permanent);
  EXPECT_EQ(all->fail_first_n, 0);
  auto two = ParseFaultSpec("permanent:2");
  ASSERT_TRUE(two.ok());
  EXPECT_TRUE(two->permanent);
  EXPECT_EQ(two->fail_first_n, 2);
}

TEST(ParseFaultSpec, AbortNamesAFile) {
  auto r = ParseFaultSpec("abort:poison.pdf, transient:1");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->abort_filename, "poison.pdf");
  EXPECT_EQ(r->fail_first_n, 1);
  EXPECT_TRUE(r->any());
}

TEST(FaultInjectorDeathTest, AbortsOnlyOnTheNamedFile) {
  FaultInjector f({.abort_filename = "poison.pdf"}, "parse");
  EXPECT_TRUE(f.BeforeCall("fine.pdf").ok());
  EXPECT_TRUE(f.BeforeCall().ok());
  EXPECT_DEATH(f.BeforeCall("poison.pdf"), "");
}

TEST(ParseFaultSpec, RejectsMalformedSpecs) {
  for (const char* bad : {"transient", "transient:x", "transient:-1", "bogus:1", "latency", "abort",
                          "abort:", "every:1:2", "transient:1,permanent:2", "latency:99999999"}) {
    auto r = ParseFaultSpec(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), "FAULT_SPEC_INVALID");
    EXPECT_EQ(r.status().kind(), Kind::kInvalidArgument);
  }
}

TEST(FaultInjector, FailsFirstNTransiently) {
  FaultInjector f({.fail_first_n = 2}, "parse");
  for (int i = 0; i < 2; ++i) {
    Status s = f.BeforeCall();
    EXPECT_EQ(s.code(), "UPSTREAM_TRANSIENT");
    EXPECT_EQ(s.kind(), Kind::kUpstream);
    EXPECT_TRUE(s.retryable());
  }
  EXPECT_TRUE(f.BeforeCall().ok());
  EXPECT_TRUE(f.BeforeCall().ok());
}

TEST(FaultInjector, FailsEveryNth) {
  FaultInjector f({.fail_every_nth = 3}, "embed");
  std::vector<bool> failed;
  for (int i = 0; i < 7; ++i) failed.push_back(!f.BeforeCall().ok());
  EXPECT_EQ(failed, (std::vector<bool>{false, false, true, false, false, true, false}));
}

TEST(FaultInjector, PermanentAlwaysFailsWithoutRetry) {
  FaultInjector f({.permanent = true}, "parse");
  for (int i = 0; i < 3; ++i) {
    Status s = f.BeforeCall();
    EXPECT_EQ(s.code(), "UPSTREAM_PERMANENT");
    EXPECT_EQ(s.kind(), Kind::kUnprocessable);
    EXPECT_FALSE(s.retryable());
  }
}

TEST(FaultInjector, PermanentFirstNThenSucceeds) {
  FaultInjector f({.fail_first_n = 1, .permanent = true}, "parse");
  EXPECT_EQ(f.BeforeCall().code(), "UPSTREAM_PERMANENT");
  EXPECT_TRUE(f.BeforeCall().ok());
}

TEST(FaultInjector, CountsExactlyUnderConcurrency) {
  FaultInjector f({.fail_first_n = 50}, "embed");
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 100; ++i) failures += f.BeforeCall().ok() ? 0 : 1;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 50);
  EXPECT_EQ(f.calls(), 800);
}

}  // namespace
}  // namespace ingestd
