#include "services/fault_injector.h"

#include <charconv>
#include <chrono>
#include <cstdlib>
#include <optional>
#include <thread>

namespace ingestd {
namespace {

constexpr int kMaxCount = 1'000'000;
constexpr int kMaxLatencyMs = 600'000;

Status SpecError(std::string_view spec, std::string_view why) {
  return Status::InvalidArgument("FAULT_SPEC_INVALID",
                                 "bad fault spec '" + std::string(spec) + "': " + std::string(why));
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Non-negative integer in [0, max]; nullopt otherwise.
std::optional<int> ParseCount(std::string_view s, int max) {
  int v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || v < 0 || v > max) return std::nullopt;
  return v;
}

}  // namespace

Result<FaultOptions> ParseFaultSpec(std::string_view spec) {
  FaultOptions out;
  bool first_n_set = false;
  std::string_view rest = spec;
  while (!Trim(rest).empty()) {
    size_t comma = rest.find(',');
    std::string_view item = Trim(rest.substr(0, comma));
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    size_t colon = item.find(':');
    std::string_view key = item.substr(0, colon);
    if (key == "abort") {
      if (colon == std::string_view::npos || Trim(item.substr(colon + 1)).empty()) {
        return SpecError(spec, "abort needs a filename");
      }
      out.abort_filename = std::string(Trim(item.substr(colon + 1)));
      continue;
    }
    std::optional<int> value;
    if (colon != std::string_view::npos) {
      value = ParseCount(item.substr(colon + 1), key == "latency" ? kMaxLatencyMs : kMaxCount);
      if (!value) return SpecError(spec, "bad number in '" + std::string(item) + "'");
    }
    if (key == "transient" || key == "permanent") {
      if (key == "permanent") out.permanent = true;
      if (!value && key == "transient") return SpecError(spec, "transient needs a count");
      if (value) {
        if (first_n_set) return SpecError(spec, "transient:N and permanent:N are exclusive");
        out.fail_first_n = *value;
        first_n_set = true;
      }
    } else if (key == "every" && value) {
      out.fail_every_nth = *value;
    } else if (key == "latency" && value) {
      out.latency_ms = *value;
    } else {
      return SpecError(spec, "unknown item '" + std::string(item) + "'");
    }
  }
  return out;
}

FaultInjector::FaultInjector(FaultOptions options, std::string service)
    : options_(options), service_(std::move(service)) {}

Status FaultInjector::BeforeCall(std::string_view filename) {
  if (!options_.abort_filename.empty() && filename == options_.abort_filename) std::abort();
  if (options_.latency_ms > 0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(options_.latency_ms));
  }
  const int64_t n = calls_.fetch_add(1) + 1;
  const bool counted = options_.fail_first_n > 0 || options_.fail_every_nth > 0;
  const bool fail = (n <= options_.fail_first_n) ||
                    (options_.fail_every_nth > 0 && n % options_.fail_every_nth == 0) ||
                    (options_.permanent && !counted);
  if (!fail) return Status();
  const std::string what = "injected " + service_ + " fault on call " + std::to_string(n);
  if (options_.permanent) {
    return Status::Error(Kind::kUnprocessable, "UPSTREAM_PERMANENT", what, false);
  }
  return Status::Error(Kind::kUpstream, "UPSTREAM_TRANSIENT", what, true);
}

}  // namespace ingestd
