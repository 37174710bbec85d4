// FakeOtlpCollector: an OpenTelemetry collector's OTLP/HTTP trace receiver on a free loopback
// port, written from the public contract, never from ingestd's exporter:
// - OTLP specification, opentelemetry-proto docs/specification.md: "OTLP/HTTP Request" (POST
//   to /v1/traces, Content-Type application/json for the JSON encoding), "JSON Protobuf
//   Encoding" (lowerCamelCase field names; traceId and spanId hex-encoded, not base64; enums
//   as integers; 64-bit integers as decimal strings), "OTLP/HTTP Response" (200 with an
//   ExportTraceServiceResponse; 4xx/5xx otherwise), "Retryable Response Codes" and
//   "Throttling" (429, 502, 503, 504, with an optional Retry-After);
// - opentelemetry-proto opentelemetry/proto/trace/v1/trace.proto (TracesData →
//   ResourceSpans → ScopeSpans → Span: trace_id 16 bytes, span_id 8 bytes, parent_span_id
//   empty for a root, name, kind 0-5, start_time_unix_nano, end_time_unix_nano, attributes)
//   and resource/v1/resource.proto, common/v1/common.proto (KeyValue, AnyValue).
// Every export it receives is checked against that structure: what does not conform is kept
// as a problem (a test asserts there are none), what does is kept as spans. Replies are
// scripted (200 "{}" once the script ends). Thread-safe.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/fakes/fake_http_server.h"

namespace ingestd::fakes {

struct CollectedSpan {
  std::string trace_id, span_id, parent_span_id;  // hex; parent "" for a root
  std::string name;
  int kind = 0;
  uint64_t start_unix_nanos = 0, end_unix_nanos = 0;
  std::map<std::string, nlohmann::json> attributes;  // key → the AnyValue's value
  std::string service_name;                          // its resource's service.name
  int status_code = 0;                               // Status.code (0 unset, 2 error)
};

class FakeOtlpCollector {
 public:
  explicit FakeOtlpCollector(std::vector<FakeReply> script = {});

  std::string endpoint() const { return server_.base_url(); }  // the base; POSTs go to /v1/traces
  std::vector<CollectedSpan> spans() const;
  std::vector<std::string> problems() const;  // structural violations, one line each
  int exports_received() const;
  // Waits until pred holds over the spans received so far, re-checked as each export
  // arrives (false after timeout_ms: a guard against a hang, not a clock the test relies on).
  bool WaitFor(const std::function<bool(const std::vector<CollectedSpan>&)>& pred,
               int timeout_ms) const;

 private:
  FakeReply Answer(const FakeRequest& r);
  void Collect(const nlohmann::json& body);  // under mu_

  mutable std::mutex mu_;
  mutable std::condition_variable arrived_;
  std::vector<FakeReply> script_;      // guarded by mu_
  size_t next_ = 0;                    // guarded by mu_
  int exports_ = 0;                    // guarded by mu_
  std::vector<CollectedSpan> spans_;   // guarded by mu_
  std::vector<std::string> problems_;  // guarded by mu_
  FakeHttpServer server_;              // last: stopped first
};

}  // namespace ingestd::fakes
