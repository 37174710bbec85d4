#include "core/backoff.h"

#include <algorithm>
#include <cmath>

namespace ingestd {

int64_t BackoffDelayMs(const BackoffPolicy& policy, int attempt, double unit_random,
                       std::optional<int64_t> suggested_delay_ms) {
  const double cap = static_cast<double>(std::max<int64_t>(policy.max_delay_ms, 0));
  const double exp = static_cast<double>(std::max<int64_t>(policy.base_delay_ms, 0)) *
                     std::pow(std::max(policy.multiplier, 1.0), std::max(attempt, 1) - 1);
  const double d = std::min(exp, cap);  // pow may overflow to inf; min tames it
  const double r = std::clamp(unit_random, 0.0, 1.0);
  double delay = d;
  switch (policy.jitter) {
    case Jitter::kNone:
      break;
    case Jitter::kFull:
      delay = d * r;
      break;
    case Jitter::kEqual:
      delay = d / 2 + (d / 2) * r;
      break;
  }
  if (suggested_delay_ms) {
    delay = std::max(delay, std::min(static_cast<double>(*suggested_delay_ms), cap));
  }
  return std::max<int64_t>(static_cast<int64_t>(delay), 0);
}

}  // namespace ingestd
