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

// The longest server hint we honour, as OpenAI's own SDK does (MAX_RETRY_AFTER_DELAY).
inline constexpr int64_t kMaxServerHintMs = 120'000;

// The delay a response asks for before the next attempt: retry-after-ms (milliseconds),
// else retry-after (seconds, or an HTTP date relative to now_ms); at most kMaxServerHintMs.
// x-ratelimit-reset-* is not a hint: it is the time until the limit is back to its full
// value, not until one more request fits (see RateLimitWaitMs). nullopt when the response
// carries no usable hint.
std::optional<int64_t> SuggestedRetryDelayMs(const HttpResponse& response, int64_t now_ms);

// How long until `need` more units of an OpenAI limit (`kind` "requests" or "tokens") are
// free, from the answer's x-ratelimit-{limit,remaining,reset}-<kind>. The limit refills
// steadily and reset is the time until it is full again, so (need - remaining) units come
// back in reset * (need - remaining) / (limit - remaining). 0 when they fit now, and when
// the headers do not say (a 429 then backs off).
int64_t RateLimitWaitMs(const HttpResponse& response, std::string_view kind, int64_t need);

}  // namespace ingestd::http
