// GET /metrics: the Prometheus text exposition (format 0.0.4) the wiring supplies.
#include "api/errors.h"
#include "api/handlers.h"
#include "core/crypto.h"

namespace ingestd::api {

ApiResponse HandleMetrics(ApiContext& ctx, const ApiRequest& req) {
  if (!ctx.metrics_exposition) {
    return ErrorResponse(Status::NotFound("METRICS_DISABLED", "this process exports no metrics"),
                         req.correlation_id);
  }
  if (const std::string& token = ctx.options.metrics_token; !token.empty()) {
    constexpr std::string_view kBearer = "Bearer ";
    const std::string auth = req.Header("authorization");
    if (!auth.starts_with(kBearer)) {
      return ErrorResponse(Status::Error(Kind::kUnauthenticated, "TOKEN_MISSING",
                                         "an Authorization: Bearer <metrics token> is required"),
                           req.correlation_id);
    }
    if (!ConstantTimeEquals(std::string_view(auth).substr(kBearer.size()), token)) {
      return ErrorResponse(Status::Error(Kind::kUnauthenticated, "METRICS_TOKEN_INVALID",
                                         "the bearer token is not the metrics token"),
                           req.correlation_id);
    }
  }
  ApiResponse r;
  r.content_type = "text/plain; version=0.0.4; charset=utf-8";
  r.body = ctx.metrics_exposition();
  return r;
}

}  // namespace ingestd::api
