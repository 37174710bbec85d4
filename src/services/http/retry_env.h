// RetryEnv: how the retry loop sleeps and draws jitter. The system one really sleeps;
// FakeRetryEnv records the sleeps (and sleeps not at all), so tests check exact delays.
#pragma once

#include <cstdint>
#include <mutex>
#include <vector>

namespace ingestd::http {

class RetryEnv {
 public:
  virtual ~RetryEnv() = default;
  virtual void SleepMs(int64_t ms) = 0;
  virtual double UnitRandom() = 0;  // uniform in [0, 1)
};

// Thread-safe. The process-wide instance.
class SystemRetryEnv final : public RetryEnv {
 public:
  void SleepMs(int64_t ms) override;
  double UnitRandom() override;
  static SystemRetryEnv* Default();
};

// Thread-safe. Sleeps are recorded, not slept; the random draw is fixed.
class FakeRetryEnv final : public RetryEnv {
 public:
  explicit FakeRetryEnv(double unit_random = 0.0) : unit_random_(unit_random) {}
  void SleepMs(int64_t ms) override {
    std::lock_guard lock(mu_);
    sleeps_.push_back(ms);
  }
  double UnitRandom() override { return unit_random_; }
  std::vector<int64_t> sleeps() const {
    std::lock_guard lock(mu_);
    return sleeps_;
  }

 private:
  const double unit_random_;
  mutable std::mutex mu_;
  std::vector<int64_t> sleeps_;
};

}  // namespace ingestd::http
