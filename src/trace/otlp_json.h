// The OTLP/JSON body of a trace export: an ExportTraceServiceRequest as the OTLP
// specification maps it to JSON (opentelemetry-proto docs/specification.md "JSON Protobuf
// Encoding"; opentelemetry/proto/trace/v1/trace.proto, common/v1/common.proto): field names
// in lowerCamelCase, traceId/spanId/parentSpanId as lower-case hex (not base64), 64-bit
// integers (timestamps, intValue) as decimal strings, enums (kind, status.code) as integers.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/trace.h"

namespace ingestd::otlp {

// {"resourceSpans":[{"resource":{"attributes":[service.name]},"scopeSpans":[{"scope":
// {"name":"ingestd"},"spans":[…]}]}]}: one resource, one scope, the spans in order.
nlohmann::json EncodeExport(const std::vector<trace::SpanData>& spans,
                            const std::string& service_name);

// The spans an export response says the collector rejected
// (ExportTraceServiceResponse.partial_success.rejected_spans); 0 when it says nothing.
int64_t RejectedSpans(const std::string& response_body);

}  // namespace ingestd::otlp
