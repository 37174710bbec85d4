// Correlation ids: one per request, echoed in the response and carried into the job, its
// events, its log lines and every outbound call made for it.
#pragma once

#include <string>
#include <string_view>

#include "api/exchange.h"

namespace ingestd::api {

// A client's X-Correlation-ID when it is a sane token (1-128 chars of [A-Za-z0-9._:-]);
// else the trace-id of a valid W3C traceparent (core/trace.h); else a new UUIDv4.
std::string CorrelationIdFrom(const RequestHeader& head);
std::string CorrelationIdFrom(std::string_view x_correlation_id, std::string_view traceparent);
std::string NewCorrelationId();

}  // namespace ingestd::api
