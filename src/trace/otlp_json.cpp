#include "trace/otlp_json.h"

namespace ingestd::otlp {
namespace {

using nlohmann::json;

// common.proto AnyValue: one of stringValue, boolValue, intValue (int64: a string),
// doubleValue.
json AnyValue(const json& v) {
  if (v.is_boolean()) return {{"boolValue", v.get<bool>()}};
  if (v.is_number_integer()) return {{"intValue", std::to_string(v.get<int64_t>())}};
  if (v.is_number()) return {{"doubleValue", v.get<double>()}};
  if (v.is_string()) return {{"stringValue", v.get<std::string>()}};
  return {{"stringValue", v.dump()}};
}

json KeyValues(const json& attributes) {
  json out = json::array();
  for (auto it = attributes.begin(); it != attributes.end(); ++it) {
    out.push_back({{"key", it.key()}, {"value", AnyValue(it.value())}});
  }
  return out;
}

json EncodeSpan(const trace::SpanData& s) {
  json span = {{"traceId", s.trace_id},
               {"spanId", s.span_id},
               {"name", s.name},
               {"kind", static_cast<int>(s.kind)},
               {"startTimeUnixNano", std::to_string(s.start_unix_nanos)},
               {"endTimeUnixNano", std::to_string(s.end_unix_nanos)},
               {"attributes", KeyValues(s.attributes)}};
  if (!s.parent_span_id.empty()) span["parentSpanId"] = s.parent_span_id;
  if (!s.tracestate.empty()) span["traceState"] = s.tracestate;
  // Status.StatusCode: 0 UNSET, 1 OK, 2 ERROR.
  if (s.error) span["status"] = {{"code", 2}, {"message", s.status_message}};
  return span;
}

}  // namespace

json EncodeExport(const std::vector<trace::SpanData>& spans, const std::string& service_name) {
  json encoded = json::array();
  for (const trace::SpanData& s : spans) encoded.push_back(EncodeSpan(s));
  json resource = {{"attributes", KeyValues(json::object({{"service.name", service_name}}))}};
  json scope_spans = json::array({{{"scope", {{"name", "ingestd"}}}, {"spans", encoded}}});
  return {{"resourceSpans", json::array({{{"resource", resource}, {"scopeSpans", scope_spans}}})}};
}

int64_t RejectedSpans(const std::string& response_body) {
  json body = json::parse(response_body, nullptr, /*allow_exceptions=*/false);
  if (!body.is_object() || !body.contains("partialSuccess")) return 0;
  const json& partial = body["partialSuccess"];
  if (!partial.is_object() || !partial.contains("rejectedSpans")) return 0;
  const json& n = partial["rejectedSpans"];
  // int64 in proto3 JSON: a string, though numbers are accepted too.
  if (n.is_number_integer()) return std::max<int64_t>(n.get<int64_t>(), 0);
  if (n.is_string()) {
    const std::string text = n.get<std::string>();
    if (!text.empty() && text.size() < 19 &&
        text.find_first_not_of("0123456789") == std::string::npos) {
      return std::stoll(text);
    }
  }
  return 0;
}

}  // namespace ingestd::otlp
