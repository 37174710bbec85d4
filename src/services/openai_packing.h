// Packing embedding inputs into as few OpenAI requests as the per-request limits allow.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace ingestd::openai {

struct PackLimits {
  size_t max_inputs = 2048;      // inputs per request
  int64_t max_tokens = 300'000;  // tokens per request (sum over its inputs)
};

// Groups input indices into requests. Each input's token count must already be within one
// request's budget (callers truncate to the per-input limit first, 8192 ≪ 300,000).
// First-fit in input order: an input joins the first request with room for it, so the
// count is the minimum max(⌈n / max_inputs⌉, ⌈Σtokens / max_tokens⌉) unless inputs are
// big enough to leave unfillable gaps (each gap is smaller than the largest input).
// Indices within a request stay ascending.
std::vector<std::vector<size_t>> PackRequests(const std::vector<int64_t>& tokens,
                                              const PackLimits& limits);

// The lower bound above, for reporting.
size_t MinimumRequests(const std::vector<int64_t>& tokens, const PackLimits& limits);

}  // namespace ingestd::openai
