#include "api/correlation.h"

#include "core/crypto.h"
#include "core/ids.h"

namespace ingestd::api {
namespace {

bool IsSaneId(std::string_view s) {
  if (s.empty() || s.size() > 128) return false;
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == ':' || c == '-';
    if (!ok) return false;
  }
  return true;
}

// traceparent: version "-" trace-id(32 hex) "-" parent-id(16 hex) "-" flags(2 hex).
std::string_view TraceIdOf(std::string_view tp) {
  if (tp.size() < 55 || tp[2] != '-' || tp[35] != '-' || tp[52] != '-') return {};
  std::string_view trace = tp.substr(3, 32);
  if (!IsLowerOrUpperHex(trace) || trace == std::string(32, '0')) return {};
  return trace;
}

}  // namespace

std::string NewCorrelationId() { return NewUuidV4(); }

std::string CorrelationIdFrom(std::string_view x_correlation_id, std::string_view traceparent) {
  if (IsSaneId(x_correlation_id)) return std::string(x_correlation_id);
  if (auto trace = TraceIdOf(traceparent); !trace.empty()) return std::string(trace);
  return NewCorrelationId();
}

std::string CorrelationIdFrom(const RequestHeader& head) {
  auto x = head["X-Correlation-ID"];
  auto tp = head["traceparent"];
  return CorrelationIdFrom(std::string_view(x.data(), x.size()),
                           std::string_view(tp.data(), tp.size()));
}

}  // namespace ingestd::api
