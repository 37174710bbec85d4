#include "services/http/retry_hints.h"

#include <curl/curl.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <string>

namespace ingestd::http {
namespace {

std::optional<double> ParseNumber(std::string_view s) {
  double v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || !std::isfinite(v) || v < 0) {
    return std::nullopt;
  }
  return v;
}

std::optional<int64_t> ToMs(double ms) {
  if (!std::isfinite(ms) || ms < 0 || ms > 1e15) return std::nullopt;
  return static_cast<int64_t>(std::ceil(ms));
}

std::optional<double> Header(const HttpResponse& r, std::string_view prefix,
                             std::string_view kind) {
  auto v = r.Header(std::string(prefix) + std::string(kind));
  return v ? ParseNumber(*v) : std::nullopt;
}

}  // namespace

std::optional<int64_t> ParseDurationMs(std::string_view text) {
  if (text.empty()) return std::nullopt;
  if (auto seconds = ParseNumber(text)) return ToMs(*seconds * 1000);
  double total_ms = 0;
  size_t i = 0;
  while (i < text.size()) {
    size_t j = i;
    while (j < text.size() &&
           (std::isdigit(static_cast<unsigned char>(text[j])) || text[j] == '.')) {
      ++j;
    }
    auto number = ParseNumber(text.substr(i, j - i));
    if (!number) return std::nullopt;
    size_t k = j;
    while (k < text.size() && !std::isdigit(static_cast<unsigned char>(text[k])) &&
           text[k] != '.') {
      ++k;
    }
    const std::string_view unit = text.substr(j, k - j);
    double scale = 0;
    if (unit == "h")
      scale = 3'600'000;
    else if (unit == "m")
      scale = 60'000;
    else if (unit == "s")
      scale = 1'000;
    else if (unit == "ms")
      scale = 1;
    else if (unit == "us" || unit == "\xC2\xB5s")
      scale = 1e-3;
    else if (unit == "ns")
      scale = 1e-6;
    else
      return std::nullopt;
    total_ms += *number * scale;
    i = k;
  }
  return ToMs(total_ms);
}

std::optional<int64_t> SuggestedRetryDelayMs(const HttpResponse& response, int64_t now_ms) {
  std::optional<int64_t> hint;
  if (auto ms = response.Header("retry-after-ms")) {
    if (auto v = ParseNumber(*ms)) hint = ToMs(*v);
  }
  if (auto after = response.Header("retry-after"); !hint && after) {
    if (auto seconds = ParseNumber(*after)) {
      hint = ToMs(*seconds * 1000);
    } else if (time_t at = curl_getdate(std::string(*after).c_str(), nullptr); at >= 0) {
      hint = std::max<int64_t>(0, static_cast<int64_t>(at) * 1000 - now_ms);
    }
  }
  if (hint) hint = std::min(*hint, kMaxServerHintMs);
  return hint;
}

int64_t RateLimitWaitMs(const HttpResponse& response, std::string_view kind, int64_t need) {
  const auto limit = Header(response, "x-ratelimit-limit-", kind);
  const auto remaining = Header(response, "x-ratelimit-remaining-", kind);
  auto reset_text = response.Header("x-ratelimit-reset-" + std::string(kind));
  if (!limit || !remaining || !reset_text || *remaining >= static_cast<double>(need)) return 0;
  const auto reset = ParseDurationMs(*reset_text);
  if (!reset || *limit <= *remaining) return 0;
  const double missing = std::min(static_cast<double>(need), *limit) - *remaining;
  return ToMs(static_cast<double>(*reset) * missing / (*limit - *remaining)).value_or(0);
}

}  // namespace ingestd::http
