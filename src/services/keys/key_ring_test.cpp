#include "services/keys/key_ring.h"

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <thread>

namespace ingestd {
namespace {

std::vector<ApiKey> ThreeKeys() { return {{"a", "sk-a"}, {"b", "sk-b"}, {"c", "sk-c"}}; }

std::string NextId(KeyRing& ring) {
  auto k = ring.Next();
  return k.ok() ? (*k)->id : k.status().code();
}

TEST(KeyRingTest, HandsOutKeysRoundRobin) {
  KeyRing ring("openai", ThreeKeys());
  EXPECT_EQ(NextId(ring), "a");
  EXPECT_EQ(NextId(ring), "b");
  EXPECT_EQ(NextId(ring), "c");
  EXPECT_EQ(NextId(ring), "a");
  EXPECT_EQ(ring.States()[0].uses, 2);
  EXPECT_EQ(ring.States()[2].uses, 1);
}

TEST(KeyRingTest, EmptyRingFailsAsNotConfigured) {
  KeyRing ring("openai");
  auto k = ring.Next();
  ASSERT_FALSE(k.ok());
  EXPECT_EQ(k.status().code(), "PROVIDER_KEYS_EXHAUSTED");
  EXPECT_EQ(k.status().kind(), Kind::kUnavailable);
  EXPECT_FALSE(k.status().retryable());
}

TEST(KeyRingTest, RevokedKeyLeavesRotationAndTheListenerHearsItsIdOnce) {
  FakeClock clock;
  KeyRing ring("openai", ThreeKeys(), &clock);
  std::vector<KeyRevocation> heard;
  ring.SetListener([&](const KeyRevocation& r) { heard.push_back(r); });
  auto b = ring.Next();  // a
  b = ring.Next();       // b
  ASSERT_EQ((*b)->id, "b");
  EXPECT_TRUE(ring.Revoke(*b, "HTTP 401 invalid_api_key", "job-1", "corr-1"));
  EXPECT_FALSE(ring.Revoke(*b, "HTTP 401 invalid_api_key"));  // a second caller's 401
  for (int i = 0; i < 6; ++i) EXPECT_NE(NextId(ring), "b");
  ASSERT_EQ(heard.size(), 1u);
  EXPECT_EQ(heard[0].key_id, "b");
  EXPECT_EQ(heard[0].job_id, "job-1");
  EXPECT_EQ(heard[0].active_left, 2u);
  const auto states = ring.States();
  EXPECT_FALSE(states[1].active);
  EXPECT_EQ(states[1].revoked_at_ms, clock.NowMillis());
  EXPECT_EQ(states[1].revoked_reason, "HTTP 401 invalid_api_key");
  EXPECT_EQ(ring.active_count(), 2u);
}

TEST(KeyRingTest, LastKeyRevokedMeansNotConfigured) {
  KeyRing ring("llamaparse", {{"only", "llx-1"}});
  auto k = ring.Next();
  ASSERT_TRUE(k.ok());
  ring.Revoke(*k, "HTTP 401");
  EXPECT_EQ(NextId(ring), "PROVIDER_KEYS_EXHAUSTED");
}

TEST(KeyRingTest, ReloadKeepsStateOfUnchangedKeysAndReadmitsAChangedSecret) {
  KeyRing ring("openai", ThreeKeys());
  auto a = ring.Next();
  ring.Revoke(*a, "HTTP 401");
  // a unchanged (stays revoked), b dropped, c kept, d new.
  EXPECT_EQ(ring.Replace({{"a", "sk-a"}, {"c", "sk-c"}, {"d", "sk-d"}}), 2u);
  std::map<std::string, int> seen;
  for (int i = 0; i < 8; ++i) ++seen[NextId(ring)];
  EXPECT_EQ(seen, (std::map<std::string, int>{{"c", 4}, {"d", 4}}));
  // A new secret under a revoked id brings it back.
  EXPECT_EQ(ring.Replace({{"a", "sk-a2"}}), 1u);
  auto again = ring.Next();
  ASSERT_TRUE(again.ok());
  EXPECT_EQ((*again)->secret, "sk-a2");
}

TEST(KeyRingTest, AHeldKeySurvivesAReloadThatDropsIt) {
  KeyRing ring("openai", ThreeKeys());
  auto held = ring.Next();
  ring.Replace({{"x", "sk-x"}});
  EXPECT_EQ((*held)->id, "a");
  EXPECT_EQ((*held)->secret, "sk-a");
  // Its 401 after the reload revokes nothing: the key is gone already.
  EXPECT_FALSE(ring.Revoke(*held, "HTTP 401"));
  EXPECT_EQ(NextId(ring), "x");
}

TEST(KeyRingTest, ConcurrentCallersAndReloadsNeverSeeAMissingKey) {
  KeyRing ring("openai", ThreeKeys());
  std::atomic<bool> stop{false};
  std::atomic<int> failures{0};
  std::vector<std::thread> callers;
  for (int t = 0; t < 4; ++t) {
    callers.emplace_back([&] {
      while (!stop) {
        auto k = ring.Next();
        if (!k.ok() || (*k)->secret != "sk-" + (*k)->id) ++failures;
      }
    });
  }
  for (int i = 0; i < 500; ++i) {
    ring.Replace(i % 2 ? ThreeKeys() : std::vector<ApiKey>{{"d", "sk-d"}, {"e", "sk-e"}});
  }
  stop = true;
  for (auto& t : callers) t.join();
  EXPECT_EQ(failures, 0);
}

}  // namespace
}  // namespace ingestd
