#include "api/correlation.h"

#include "core/ids.h"
#include "core/trace.h"

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

}  // namespace

std::string NewCorrelationId() { return NewUuidV4(); }

std::string CorrelationIdFrom(std::string_view x_correlation_id, std::string_view traceparent) {
  if (IsSaneId(x_correlation_id)) return std::string(x_correlation_id);
  if (auto parent = trace::ParseTraceparent(traceparent, "")) return parent->trace_id;
  return NewCorrelationId();
}

std::string CorrelationIdFrom(const RequestHeader& head) {
  auto x = head["X-Correlation-ID"];
  auto tp = head["traceparent"];
  return CorrelationIdFrom(std::string_view(x.data(), x.size()),
                           std::string_view(tp.data(), tp.size()));
}

}  // namespace ingestd::api
