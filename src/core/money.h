// Money is integer nano-dollars (1e-9 USD) everywhere it is added up: token prices such as
// $0.02 / 1M tokens are exact (20 nanos a token) and sums never drift. Doubles appear only at
// the edges (configuration in USD, JSON views).
#pragma once

#include <cstdint>

namespace ingestd {

inline constexpr int64_t kNanosPerUsd = 1'000'000'000;
inline int64_t UsdToNanos(double usd) { return static_cast<int64_t>(usd * 1e9 + 0.5); }
inline double NanosToUsd(int64_t nanos) { return static_cast<double>(nanos) / 1e9; }

}  // namespace ingestd
