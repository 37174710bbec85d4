// Conformance: one-time sign-in codes (Store::CreateSigninCode, RedeemSigninCode). A code
// signs in once, before it expires, in whichever process redeems it first.
#include <atomic>
#include <latch>
#include <thread>

#include "store/store_codes.h"
#include "store/store_conformance.h"

namespace ingestd {
namespace {

constexpr int64_t kSigninTtlMs = 600'000;

SigninCode MakeSigninCode(const std::string& hash, int64_t now_ms) {
  return {.code_hash = hash,
          .user_id = "dev",
          .role = "admin",
          .created_at_ms = now_ms,
          .expires_at_ms = now_ms + kSigninTtlMs};
}

TEST_P(StoreConformanceTest, ASigninCodeIsRedeemedOnceAndThenRefused) {
  ASSERT_TRUE(store_->CreateSigninCode(MakeSigninCode("hash-a", kT0)).ok());
  // A restarted server (another handle) redeems it: the code is durable.
  auto first = OpenAgain()->RedeemSigninCode("hash-a", kT0 + 1);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  ASSERT_TRUE(first->has_value());
  EXPECT_EQ((*first)->user_id, "dev");
  EXPECT_EQ((*first)->role, "admin");
  EXPECT_EQ((*first)->expires_at_ms, kT0 + kSigninTtlMs);
  auto second = store_->RedeemSigninCode("hash-a", kT0 + 2);
  ASSERT_TRUE(second.ok());
  EXPECT_FALSE(second->has_value());
  auto unknown = store_->RedeemSigninCode("hash-unknown", kT0 + 2);
  ASSERT_TRUE(unknown.ok());
  EXPECT_FALSE(unknown->has_value());
}

TEST_P(StoreConformanceTest, ASigninCodeExpiresAtItsExpiryTime) {
  ASSERT_TRUE(store_->CreateSigninCode(MakeSigninCode("hash-late", kT0)).ok());
  ASSERT_TRUE(store_->CreateSigninCode(MakeSigninCode("hash-just", kT0)).ok());
  auto late = store_->RedeemSigninCode("hash-late", kT0 + kSigninTtlMs);
  ASSERT_TRUE(late.ok());
  EXPECT_FALSE(late->has_value());
  auto just = store_->RedeemSigninCode("hash-just", kT0 + kSigninTtlMs - 1);
  ASSERT_TRUE(just.ok());
  EXPECT_TRUE(just->has_value());
}

TEST_P(StoreConformanceTest, ASigninCodeHashIsStoredOnceAndExpiredCodesAreDropped) {
  ASSERT_TRUE(store_->CreateSigninCode(MakeSigninCode("hash-a", kT0)).ok());
  Status again = store_->CreateSigninCode(MakeSigninCode("hash-a", kT0 + 1));
  EXPECT_EQ(again.code(), "SIGNIN_CODE_EXISTS");
  EXPECT_EQ(store_->CreateSigninCode(MakeSigninCode("", kT0)).code(), "INVALID_STORE_RECORD");
  // Once hash-a expired, creating another code drops it, so its hash is free again.
  ASSERT_TRUE(store_->CreateSigninCode(MakeSigninCode("hash-b", kT0 + kSigninTtlMs)).ok());
  ASSERT_TRUE(store_->CreateSigninCode(MakeSigninCode("hash-a", kT0 + kSigninTtlMs)).ok());
  EXPECT_TRUE(store_->RedeemSigninCode("hash-a", kT0 + kSigninTtlMs + 1)->has_value());
}

TEST_P(StoreConformanceTest, ConcurrentRedemptionsOfASigninCodeHaveExactlyOneWinner) {
  constexpr int kCodes = 6, kThreads = 4;
  for (int i = 0; i < kCodes; ++i) {
    ASSERT_TRUE(store_->CreateSigninCode(MakeSigninCode("race-" + std::to_string(i), kT0)).ok());
  }
  std::vector<std::unique_ptr<Store>> handles;
  for (int t = 0; t < kThreads; ++t) handles.push_back(OpenAgain());
  std::atomic<int> wins[kCodes] = {}, failed{0};
  std::latch start(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      start.arrive_and_wait();
      for (int i = 0; i < kCodes; ++i) {
        auto r = handles[t]->RedeemSigninCode("race-" + std::to_string(i), kT0 + 1);
        if (!r.ok()) {
          ++failed;
        } else if (r->has_value()) {
          ++wins[i];
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failed.load(), 0);
  for (int i = 0; i < kCodes; ++i) EXPECT_EQ(wins[i].load(), 1) << "code " << i;
}

}  // namespace
}  // namespace ingestd
