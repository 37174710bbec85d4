// GET /health, GET /ready, GET /api/v1/upload/limits, GET / and /assets/{name} (dashboard),
// GET /api/v1/openapi.json; the route table.
#include <nlohmann/json.hpp>

#include "api/dashboard.h"
#include "api/errors.h"
#include "api/handlers.h"
#include "api/openapi.h"
#include "api/router.h"
#include "api/upload_limits.h"
#include "api/validation.h"

namespace ingestd::api {

ApiResponse HandleHealth(ApiContext&, const ApiRequest&) {
  return JsonResponse(200, {{"status", "ok"}});
}

ApiResponse HandleReady(ApiContext& ctx, const ApiRequest&) {
  Status store = ctx.store->Ping();
  Status blobs = ctx.blobs->Ping();
  bool ready = store.ok() && blobs.ok();
  return JsonResponse(ready ? 200 : 503, {{"status", ready ? "ready" : "not_ready"},
                                          {"store", store.ok() ? "ok" : store.code()},
                                          {"blobs", blobs.ok() ? "ok" : blobs.code()}});
}

// Open to all; a caller with a bearer token also learns what they have left ("user").
ApiResponse HandleUploadLimits(ApiContext& ctx, const ApiRequest& req) {
  nlohmann::json body = {{"max_upload_bytes", ctx.options.max_upload_bytes},
                         {"allowed_mime_types", {kPdfMime}},
                         {"max_filename_bytes", kMaxFilenameBytes},
                         {"upload_url_ttl_seconds", ctx.options.upload_url_ttl_s}};
  body.update(ConfiguredLimitsJson(ctx.options));
  if (!req.Header("authorization").empty()) {
    Result<JwtClaims> caller = Authenticate(req, ctx);
    if (!caller.ok()) return ErrorResponse(caller.status(), req.correlation_id);
    Result<nlohmann::json> user = UserLimitsJson(ctx, caller->sub);
    if (!user.ok()) return ErrorResponse(user.status(), req.correlation_id);
    body["user"] = std::move(*user);
  }
  return JsonResponse(200, body);
}

ApiResponse HandleDashboard(ApiContext&, const ApiRequest& req) {
  return AssetResponse(DashboardAssets(), "index.html", req.Header("if-none-match"),
                       req.correlation_id);
}

ApiResponse HandleDashboardAsset(ApiContext&, const ApiRequest& req) {
  return AssetResponse(DashboardAssets(), req.params.at("name"), req.Header("if-none-match"),
                       req.correlation_id);
}

ApiResponse HandleOpenApi(ApiContext&, const ApiRequest& req) {
  return AssetResponse(OpenApiAssets(), "openapi.json", req.Header("if-none-match"),
                       req.correlation_id);
}

std::vector<Route> ApiRoutes() {
  auto open = [](std::string method, std::string pattern, Handler h) {
    return Route{std::move(method), std::move(pattern), false, std::move(h), nullptr};
  };
  auto authed = [](std::string method, std::string pattern, Handler h) {
    return Route{std::move(method), std::move(pattern), true, std::move(h), nullptr};
  };
  // Operator endpoints: authenticated, and the token must carry role "admin".
  [[maybe_unused]] auto admin = [](std::string method, std::string pattern, Handler h) {
    return Route{std::move(method), std::move(pattern), true, std::move(h), nullptr, true};
  };
  // A route that takes uploads, for the upload metrics (exchange.h).
  auto upload = [](Route r, UploadRole role) {
    r.upload = role;
    return r;
  };
  return {
      open("GET", "/", HandleDashboard),
      open("GET", "/assets/{name}", HandleDashboardAsset),
      open("GET", "/health", HandleHealth),
      open("GET", "/ready", HandleReady),
      open("GET", "/metrics", HandleMetrics),  // its own token check (metrics_handlers.cpp)
      // Every route has an entry in it (openapi_test.cpp).
      open("GET", "/api/v1/openapi.json", HandleOpenApi),
      open("POST", "/api/v1/auth/signin", HandleSignin),  // the one-time code is the credential
      open("GET", "/api/v1/upload/limits", HandleUploadLimits),
      open("GET", "/api/v1/services/health", HandleServicesHealth),
      admin("PUT", "/api/v1/services/{service}/mode", HandleSetServiceMode),
      admin("GET", "/api/v1/services/modes/history", HandleModeHistory),
      authed("GET", "/api/v1/costs", HandleCosts),
      upload(authed("POST", "/api/v1/upload", HandleCreateUpload), UploadRole::kSlot),
      // The signed token in the URL is the credential of the PUT.
      upload(Route{"PUT", "/api/v1/blobs/{token}", false, nullptr, BeginBlobPut},
             UploadRole::kFile),
      upload(Route{"POST", "/api/v1/documents", true, nullptr, BeginDocumentPost},
             UploadRole::kFile),
      authed("GET", "/api/v1/documents", HandleListDocuments),
      authed("GET", "/api/v1/documents/{id}", HandleGetDocument),
      authed("DELETE", "/api/v1/documents/{id}", HandleDeleteDocument),
      authed("GET", "/api/v1/documents/{id}/chunks", HandleDocumentChunks),
      authed("GET", "/api/v1/export", HandleExport),
      authed("POST", "/api/v1/search", HandleSearch),
      admin("GET", "/api/v1/search/index", HandleSearchIndex),
      authed("GET", "/api/v1/jobs", HandleListJobs),
      authed("GET", "/api/v1/jobs/{id}", HandleGetJob),
      authed("POST", "/api/v1/jobs/{id}/retry", HandleRetryJob),
      authed("GET", "/api/v1/jobs/{id}/events", HandleJobEvents),
      open("POST", "/api/v1/webhooks/llamaparse/{job_id}", HandleLlamaParseWebhook),
      admin("GET", "/api/v1/alerts", HandleListAlerts),
      admin("GET", "/api/v1/audit", HandleAudit),
  };
}

}  // namespace ingestd::api
