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

std::optional<int64_t> ResetHint(const HttpResponse& r, std::string_view kind) {
  const std::string suffix(kind);
  auto reset = r.Header("x-ratelimit-reset-" + suffix);
  if (!reset) return std::nullopt;
  if (auto remaining = r.Header("x-ratelimit-remaining-" + suffix)) {
    auto n = ParseNumber(*remaining);
    if (n && *n > 0) return std::nullopt;  // this budget is not what ran out
  }
  return ParseDurationMs(*reset);
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
  if (auto ms = response.Header("retry-after-ms")) {
    if (auto v = ParseNumber(*ms)) return ToMs(*v);
  }
  if (auto after = response.Header("retry-after")) {
    if (auto seconds = ParseNumber(*after)) return ToMs(*seconds * 1000);
    const std::string date(*after);
    if (time_t at = curl_getdate(date.c_str(), nullptr); at >= 0) {
      return std::max<int64_t>(0, static_cast<int64_t>(at) * 1000 - now_ms);
    }
  }
  std::optional<int64_t> hint;
  for (std::string_view kind : {"requests", "tokens"}) {
    if (auto h = ResetHint(response, kind)) hint = std::max(hint.value_or(0), *h);
  }
  return hint;
}

}  // namespace ingestd::http
