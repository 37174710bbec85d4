#include "services/openai_packing.h"

#include <algorithm>
#include <numeric>

namespace ingestd::openai {

std::vector<std::vector<size_t>> PackRequests(const std::vector<int64_t>& tokens,
                                              const PackLimits& limits) {
  std::vector<std::vector<size_t>> requests;
  std::vector<int64_t> used;  // tokens per request
  // Requests before `first_open` are full by count or have less room than any input
  // needs (< 1 token); skipping them keeps the scan short for long inputs lists.
  size_t first_open = 0;
  for (size_t i = 0; i < tokens.size(); ++i) {
    const int64_t t = std::max<int64_t>(tokens[i], 0);
    size_t r = first_open;
    while (r < requests.size() &&
           (requests[r].size() >= limits.max_inputs || used[r] + t > limits.max_tokens)) {
      ++r;
    }
    if (r == requests.size()) {
      requests.emplace_back();
      used.push_back(0);
    }
    requests[r].push_back(i);
    used[r] += t;
    while (first_open < requests.size() && (requests[first_open].size() >= limits.max_inputs ||
                                            used[first_open] >= limits.max_tokens)) {
      ++first_open;
    }
  }
  return requests;
}

size_t MinimumRequests(const std::vector<int64_t>& tokens, const PackLimits& limits) {
  if (tokens.empty()) return 0;
  const int64_t total = std::accumulate(tokens.begin(), tokens.end(), int64_t{0});
  const size_t by_count = (tokens.size() + limits.max_inputs - 1) / limits.max_inputs;
  const auto by_tokens = static_cast<size_t>((total + limits.max_tokens - 1) / limits.max_tokens);
  return std::max({by_count, by_tokens, size_t{1}});
}

}  // namespace ingestd::openai
