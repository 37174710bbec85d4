#include "tests/fakes/fake_otlp_collector.h"

#include <chrono>

namespace ingestd::fakes {
namespace {

using nlohmann::json;

bool IsHexId(const json& v, size_t length) {
  if (!v.is_string()) return false;
  const std::string s = v.get<std::string>();
  if (s.size() != length) return false;
  bool nonzero = false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
    nonzero |= c != '0';
  }
  return nonzero;
}

// A proto3 JSON uint64/int64 (fixed64 timestamps, intValue): a decimal string, or a number.
bool ReadUint64(const json& v, uint64_t* out) {
  if (v.is_number_unsigned()) {
    *out = v.get<uint64_t>();
    return true;
  }
  if (!v.is_string()) return false;
  const std::string s = v.get<std::string>();
  if (s.empty() || s.size() > 20 || s.find_first_not_of("0123456789") != std::string::npos) {
    return false;
  }
  *out = std::stoull(s);
  return true;
}

// common.proto AnyValue → its value; false when it has none of the known fields.
bool ReadAnyValue(const json& v, json* out) {
  if (!v.is_object()) return false;
  if (v.contains("stringValue") && v["stringValue"].is_string()) {
    *out = v["stringValue"];
  } else if (v.contains("boolValue") && v["boolValue"].is_boolean()) {
    *out = v["boolValue"];
  } else if (v.contains("intValue")) {
    uint64_t n = 0;
    if (!ReadUint64(v["intValue"], &n)) return false;
    *out = n;
  } else if (v.contains("doubleValue") && v["doubleValue"].is_number()) {
    *out = v["doubleValue"];
  } else {
    return false;
  }
  return true;
}

// A repeated KeyValue → key → value, or an error naming what is wrong.
std::string ReadAttributes(const json& list, std::map<std::string, json>* out) {
  if (list.is_null()) return "";
  if (!list.is_array()) return "attributes is not an array";
  for (const json& kv : list) {
    json value;
    if (!kv.is_object() || !kv.contains("key") || !kv["key"].is_string() || !kv.contains("value") ||
        !ReadAnyValue(kv["value"], &value)) {
      return "attribute is not a KeyValue with an AnyValue: " + kv.dump();
    }
    (*out)[kv["key"].get<std::string>()] = value;
  }
  return "";
}

// One Span, or the reason it does not conform to trace.proto's JSON mapping.
std::string ReadSpan(const json& s, CollectedSpan* out) {
  if (!s.is_object()) return "span is not an object";
  if (!IsHexId(s.value("traceId", json()), 32)) return "traceId is not 32 hex digits, nonzero";
  if (!IsHexId(s.value("spanId", json()), 16)) return "spanId is not 16 hex digits, nonzero";
  const json parent = s.value("parentSpanId", json(""));
  if (!(parent == "" || IsHexId(parent, 16))) return "parentSpanId is neither empty nor 16 hex";
  if (!s.contains("name") || !s["name"].is_string() || s["name"].get<std::string>().empty()) {
    return "name is missing or empty";
  }
  const json kind = s.value("kind", json(0));
  if (!kind.is_number_integer() || kind.get<int>() < 0 || kind.get<int>() > 5) {
    return "kind is not a SpanKind integer";
  }
  if (!ReadUint64(s.value("startTimeUnixNano", json()), &out->start_unix_nanos) ||
      !ReadUint64(s.value("endTimeUnixNano", json()), &out->end_unix_nanos)) {
    return "startTimeUnixNano/endTimeUnixNano are not fixed64 values";
  }
  if (out->start_unix_nanos == 0 || out->end_unix_nanos < out->start_unix_nanos) {
    return "the span ends before it starts, or has no start";
  }
  if (s.contains("status")) {
    if (!s["status"].is_object()) return "status is not an object";
    const json code = s["status"].value("code", json(0));
    if (!code.is_number_integer() || code.get<int>() < 0 || code.get<int>() > 2) {
      return "status.code is not a StatusCode integer";
    }
    out->status_code = code.get<int>();
  }
  out->trace_id = s["traceId"].get<std::string>();
  out->span_id = s["spanId"].get<std::string>();
  out->parent_span_id = parent.get<std::string>();
  out->name = s["name"].get<std::string>();
  out->kind = kind.get<int>();
  return ReadAttributes(s.value("attributes", json()), &out->attributes);
}

}  // namespace

FakeOtlpCollector::FakeOtlpCollector(std::vector<FakeReply> script)
    : script_(std::move(script)),
      server_([this](const FakeRequest& r) { return Answer(r); }, 1'000) {}

std::vector<CollectedSpan> FakeOtlpCollector::spans() const {
  std::lock_guard lock(mu_);
  return spans_;
}

std::vector<std::string> FakeOtlpCollector::problems() const {
  std::lock_guard lock(mu_);
  return problems_;
}

int FakeOtlpCollector::exports_received() const {
  std::lock_guard lock(mu_);
  return exports_;
}

bool FakeOtlpCollector::WaitFor(const std::function<bool(const std::vector<CollectedSpan>&)>& pred,
                                int timeout_ms) const {
  std::unique_lock lock(mu_);
  return arrived_.wait_for(lock, std::chrono::milliseconds(timeout_ms),
                           [&] { return pred(spans_); });
}

FakeReply FakeOtlpCollector::Answer(const FakeRequest& r) {
  FakeReply reply;
  reply.body = "{}";
  std::lock_guard lock(mu_);
  if (r.method != "POST" || r.target != "/v1/traces") {
    problems_.push_back("request to " + r.method + " " + r.target + ", not POST /v1/traces");
    reply.status = 404;
    return reply;
  }
  if (r.Header("content-type").rfind("application/json", 0) != 0) {
    problems_.push_back("Content-Type " + r.Header("content-type") + ", not application/json");
    reply.status = 415;
    return reply;
  }
  ++exports_;
  if (next_ < script_.size()) {
    reply = script_[next_++];
    if (reply.status != 200) return reply;  // refused: the spans are not taken
  }
  json body = json::parse(r.body, nullptr, /*allow_exceptions=*/false);
  Collect(body);
  arrived_.notify_all();
  return reply;
}

void FakeOtlpCollector::Collect(const json& body) {
  if (!body.is_object() || !body.contains("resourceSpans") || !body["resourceSpans"].is_array()) {
    problems_.push_back("the body is not an ExportTraceServiceRequest with resourceSpans");
    return;
  }
  for (const json& rs : body["resourceSpans"]) {
    if (!rs.is_object() || !rs.value("resource", json::object()).is_object()) {
      problems_.push_back("resourceSpans entry is not an object with a resource object");
      continue;
    }
    std::map<std::string, json> resource;
    const json res = rs.value("resource", json::object());
    if (std::string e = ReadAttributes(res.value("attributes", json()), &resource); !e.empty()) {
      problems_.push_back("resource: " + e);
    }
    const auto service = resource.find("service.name");
    if (service == resource.end() || !service->second.is_string()) {
      problems_.push_back("the resource has no service.name string attribute");
      continue;
    }
    if (!rs.contains("scopeSpans") || !rs["scopeSpans"].is_array()) {
      problems_.push_back("resourceSpans entry without a scopeSpans array");
      continue;
    }
    for (const json& ss : rs["scopeSpans"]) {
      if (!ss.is_object() || !ss.contains("spans") || !ss["spans"].is_array()) {
        problems_.push_back("scopeSpans entry without a spans array");
        continue;
      }
      for (const json& s : ss["spans"]) {
        CollectedSpan span;
        if (std::string e = ReadSpan(s, &span); !e.empty()) {
          problems_.push_back(e + ": " + s.dump());
          continue;
        }
        span.service_name = service->second.get<std::string>();
        spans_.push_back(std::move(span));
      }
    }
  }
}

}  // namespace ingestd::fakes
