// Retry delays: exponential backoff with jitter, capped. A pure function of the attempt
// number and a random draw, so tests can pin the draw and check exact bounds.
#pragma once

#include <cstdint>
#include <optional>

namespace ingestd {

enum class Jitter {
  kNone,   // exactly the exponential delay
  kFull,   // uniform in [0, d]: best spreading, but a retry may come at once
  kEqual,  // uniform in [d/2, d]: spreads retries yet always waits at least half
};

struct BackoffPolicy {
  int64_t base_delay_ms = 1000;  // delay before the first retry, before jitter
  int64_t max_delay_ms = 60000;  // cap on the exponential delay (and on suggestions)
  double multiplier = 2.0;       // growth per attempt
  Jitter jitter = Jitter::kEqual;
};

// Delay before retrying after failed attempt `attempt` (1 = the first attempt failed):
// d = min(max_delay, base * multiplier^(attempt-1)), then jittered with unit_random in
// [0, 1). suggested_delay_ms is the hook for a provider's Retry-After: when set, the result
// is at least that (capped at max_delay_ms). Never negative.
int64_t BackoffDelayMs(const BackoffPolicy& policy, int attempt, double unit_random,
                       std::optional<int64_t> suggested_delay_ms = std::nullopt);

}  // namespace ingestd
