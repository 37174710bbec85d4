#include "api/errors.h"

#include <nlohmann/json.hpp>

namespace ingestd::api {

int HttpStatusFor(Kind kind) {
  switch (kind) {
    case Kind::kOk: return 200;
    case Kind::kInvalidArgument: return 400;
    case Kind::kUnauthenticated: return 401;
    case Kind::kPermissionDenied: return 403;
    case Kind::kNotFound: return 404;
    case Kind::kConflict: return 409;
    case Kind::kPayloadTooLarge: return 413;
    case Kind::kUnsupportedMedia: return 415;
    case Kind::kUnprocessable: return 422;
    case Kind::kRateLimited:
    case Kind::kBudgetExceeded: return 429;
    case Kind::kInternal: return 500;
    case Kind::kUpstream: return 502;
    case Kind::kUnavailable: return 503;
  }
  return 500;
}

ApiResponse ErrorResponse(const Status& status, const std::string& correlation_id) {
  ApiResponse r;
  r.status = HttpStatusFor(status.kind());
  r.error_code = status.code();
  // Internal errors never leak their detail to the client; it is in the log line.
  std::string message = status.kind() == Kind::kInternal ? "internal error" : status.message();
  nlohmann::json body = {
      {"error", {{"code", status.code()}, {"message", message}, {"correlation_id", correlation_id}}}};
  r.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  if (r.status == 401) r.headers.emplace_back("WWW-Authenticate", "Bearer");
  // 429 and 503 say when to come back, in whole seconds rounded up (RFC 9110 §10.2.3).
  if ((r.status == 429 || r.status == 503) && status.retry_after_ms() &&
      *status.retry_after_ms() > 0) {
    r.headers.emplace_back("Retry-After", std::to_string((*status.retry_after_ms() + 999) / 1000));
  }
  return r;
}

}  // namespace ingestd::api
