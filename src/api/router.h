// ApiRouter: the Dispatcher that matches method + path to a route, authenticates the
// caller, enforces body limits, and hands the request to the route's handler.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "api/api_context.h"
#include "api/exchange.h"

namespace ingestd::api {

// A handler for requests whose (small) body is buffered whole.
using Handler = std::function<ApiResponse(ApiContext&, const ApiRequest&)>;
// A handler for requests whose body streams (uploads). Called on an I/O thread with the
// header only: it must not block; it returns the exchange that consumes the body.
using StreamHandler = std::function<Result<std::unique_ptr<Exchange>>(ApiContext&, ApiRequest&&)>;

struct Route {
  std::string method;
  std::string pattern;  // "/api/v1/jobs/{id}": {name} matches one path segment
  bool authenticated = true;
  Handler handler;  // exactly one of handler / stream is set
  StreamHandler stream;
  // Only callers whose token carries role "admin" (others: 403 ADMIN_REQUIRED).
  bool admin_only = false;
  UploadRole upload = UploadRole::kNone;  // for the upload metrics (exchange.h)
};

class ApiRouter final : public Dispatcher {
 public:
  // ctx must outlive the router.
  ApiRouter(ApiContext* ctx, std::vector<Route> routes);

  std::unique_ptr<Exchange> Begin(const RequestHeader& head, const std::string& correlation_id,
                                  ApiResponse* early, RouteMatch* matched) override;

 private:
  ApiContext* ctx_;
  std::vector<Route> routes_;
};

// Every route of the v1 API.
std::vector<Route> ApiRoutes();

// Helpers for handlers.
// The caller named by the request's Authorization: Bearer token, verified as on
// authenticated routes (401 TOKEN_MISSING / TOKEN_SIGNATURE / TOKEN_EXPIRED / TOKEN_MALFORMED);
// for open routes that answer more to an authenticated caller.
Result<JwtClaims> Authenticate(const ApiRequest& req, const ApiContext& ctx);
ApiResponse JsonResponse(int status, const nlohmann::json& body);
// limit (1..500) and offset (>= 0) query parameters; absent ones keep their defaults. A bad
// value is 400 with `code`.
Status PageParams(const ApiRequest& req, int* limit, int* offset,
                  const std::string& code = "INVALID_FILTER");
// %XX escapes decoded; '+' becomes a space in query strings only.
std::string PercentDecode(std::string_view s, bool plus_is_space);

}  // namespace ingestd::api
