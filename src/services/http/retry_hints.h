// Reading a provider's "wait this long" hints from response headers.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "services/http/http_client.h"

namespace ingestd::http {

// A Go-style duration as OpenAI sends in x-ratelimit-reset-*: "6m0s", "12ms", "1.5s",
// "1h2m3s", "250us"; a bare number is seconds. Rounded up to whole milliseconds;
// nullopt when malformed or negative.
std::optional<int64_t> ParseDurationMs(std::string_view text);

// The delay a response asks for before the next attempt, by precedence:
//   retry-after-ms (milliseconds), retry-after (seconds, or an HTTP date relative to
//   now_ms), then the largest x-ratelimit-reset-{requests,tokens} whose matching
//   x-ratelimit-remaining-* is 0 or absent.
// nullopt when the response carries no usable hint.
std::optional<int64_t> SuggestedRetryDelayMs(const HttpResponse& response, int64_t now_ms);

}  // namespace ingestd::http
