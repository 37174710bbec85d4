#include "services/http/retry_env.h"

#include <chrono>
#include <random>
#include <thread>

namespace ingestd::http {

void SystemRetryEnv::SleepMs(int64_t ms) {
  if (ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(ms));
}

double SystemRetryEnv::UnitRandom() {
  thread_local std::mt19937_64 rng(std::random_device{}());
  return std::uniform_real_distribution<double>(0.0, 1.0)(rng);
}

SystemRetryEnv* SystemRetryEnv::Default() {
  static SystemRetryEnv env;
  return &env;
}

}  // namespace ingestd::http
