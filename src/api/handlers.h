// Request handlers of the v1 API, grouped by resource. Each is thin: parse and validate
// the request, call the store, map the result to a response.
#pragma once

#include <memory>

#include <nlohmann/json.hpp>

#include "api/api_context.h"
#include "api/exchange.h"

namespace ingestd::api {

// uploads (upload_handlers.cpp)
ApiResponse HandleCreateUpload(ApiContext& ctx, const ApiRequest& req);
Result<std::unique_ptr<Exchange>> BeginBlobPut(ApiContext& ctx, ApiRequest&& req);
Result<std::unique_ptr<Exchange>> BeginDocumentPost(ApiContext& ctx, ApiRequest&& req);

// jobs (job_handlers.cpp)
ApiResponse HandleGetJob(ApiContext& ctx, const ApiRequest& req);
ApiResponse HandleListJobs(ApiContext& ctx, const ApiRequest& req);
ApiResponse HandleRetryJob(ApiContext& ctx, const ApiRequest& req);
ApiResponse HandleJobEvents(ApiContext& ctx, const ApiRequest& req);

// documents (document_handlers.cpp)
ApiResponse HandleListDocuments(ApiContext& ctx, const ApiRequest& req);
ApiResponse HandleGetDocument(ApiContext& ctx, const ApiRequest& req);
ApiResponse HandleDocumentChunks(ApiContext& ctx, const ApiRequest& req);
ApiResponse HandleDeleteDocument(ApiContext& ctx, const ApiRequest& req);
// export (export_handlers.cpp): NDJSON of the caller's chunk changes since a cursor, streamed
ApiResponse HandleExport(ApiContext& ctx, const ApiRequest& req);

// search (search_handlers.cpp): POST /api/v1/search; the index report (admin only)
ApiResponse HandleSearch(ApiContext& ctx, const ApiRequest& req);
ApiResponse HandleSearchIndex(ApiContext& ctx, const ApiRequest& req);

// service (system_handlers.cpp)
ApiResponse HandleHealth(ApiContext& ctx, const ApiRequest& req);
ApiResponse HandleReady(ApiContext& ctx, const ApiRequest& req);
ApiResponse HandleUploadLimits(ApiContext& ctx, const ApiRequest& req);
ApiResponse HandleDashboard(ApiContext& ctx, const ApiRequest& req);
ApiResponse HandleDashboardAsset(ApiContext& ctx, const ApiRequest& req);
ApiResponse HandleOpenApi(ApiContext& ctx, const ApiRequest& req);

// services and costs (service_handlers.cpp)
ApiResponse HandleServicesHealth(ApiContext& ctx, const ApiRequest& req);
ApiResponse HandleCosts(ApiContext& ctx, const ApiRequest& req);
// audit log of paid calls, admin only; provider key ids and states (provider_handlers.cpp)
ApiResponse HandleAudit(ApiContext& ctx, const ApiRequest& req);
nlohmann::json KeyStatesJson(const KeyRegistry* keys);
// live mode switching (mode_handlers.cpp); admin only
ApiResponse HandleSetServiceMode(ApiContext& ctx, const ApiRequest& req);
ApiResponse HandleModeHistory(ApiContext& ctx, const ApiRequest& req);

// GET /metrics, Prometheus text format (metrics_handlers.cpp); behind
// ApiOptions::metrics_token when set
ApiResponse HandleMetrics(ApiContext& ctx, const ApiRequest& req);

// alerts (alert_handlers.cpp); admin only
ApiResponse HandleListAlerts(ApiContext& ctx, const ApiRequest& req);

// one-time sign-in codes for session tokens (auth_handlers.cpp); the code is the credential
ApiResponse HandleSignin(ApiContext& ctx, const ApiRequest& req);

// provider webhooks (webhook_handlers.cpp); the signature is the credential
ApiResponse HandleLlamaParseWebhook(ApiContext& ctx, const ApiRequest& req);

}  // namespace ingestd::api
