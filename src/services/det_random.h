// SplitMix64: a tiny, stable pseudo-random sequence for deterministic mock output. Not
// for anything security-related (use RandomBytes there).
#pragma once

#include <cstdint>

namespace ingestd {

class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  // Uniform in [lo, hi] (inclusive); the slight modulo bias is irrelevant for mocks.
  int Between(int lo, int hi) { return lo + static_cast<int>(Next() % uint64_t(hi - lo + 1)); }

 private:
  uint64_t state_;
};

}  // namespace ingestd
