// GET /api/v1/services/health (per service: mode, implementation in use, breaker, recent
// error rate, last real call, last free probe; provider key states for admin callers only)
// and GET /api/v1/costs.
#include <nlohmann/json.hpp>

#include "api/errors.h"
#include "api/handlers.h"
#include "api/router.h"
#include "core/clock.h"
#include "core/money.h"
#include "ledger/cost_report.h"
#include "services/router/service_router.h"

namespace ingestd::api {
namespace {

std::string QueryParam(const ApiRequest& req, const std::string& name) {
  auto it = req.query.find(name);
  return it == req.query.end() ? std::string() : it->second;
}

nlohmann::json ProbeJson(const std::optional<ProbeResult>& p) {
  if (!p) return nullptr;
  return {{"at", FormatRfc3339(p->at_ms)},
          {"ok", p->ok},
          {"latency_ms", p->latency_ms},
          {"error_code", p->ok ? nlohmann::json(nullptr) : nlohmann::json(p->error_code)}};
}

nlohmann::json HealthJson(const ServiceHealth& h) {
  return {{"service", h.service},
          {"mode", h.mode},
          {"implementation", h.implementation},
          {"breaker",
           {{"state", ToString(h.breaker.state)},
            {"consecutive_failures", h.breaker.consecutive_failures},
            {"retry_at", h.breaker.retry_at_ms > 0
                             ? nlohmann::json(FormatRfc3339(h.breaker.retry_at_ms))
                             : nlohmann::json(nullptr)}}},
          {"recent_error_rate", h.breaker.error_rate},
          {"recent_calls", h.breaker.recent_calls},
          {"last_latency_ms",
           h.last_latency_ms >= 0 ? nlohmann::json(h.last_latency_ms) : nlohmann::json(nullptr)},
          {"last_error_code", h.last_error_code},
          {"primary_calls", h.primary_calls},
          {"fallback_calls", h.fallback_calls},
          {"last_probe", ProbeJson(h.last_probe)}};
}

}  // namespace

ApiResponse HandleServicesHealth(ApiContext& ctx, const ApiRequest& req) {
  if (ctx.router == nullptr) {
    return ErrorResponse(Status::Error(Kind::kUnavailable, "SERVICES_NOT_IN_PROCESS",
                                       "this process runs no pipeline (started with no workers)"),
                         req.correlation_id);
  }
  nlohmann::json services = nlohmann::json::array();
  for (const ServiceHealth& h : ctx.router->Health()) services.push_back(HealthJson(h));
  nlohmann::json body = {{"services", services}, {"budgets_enforced", ctx.ledger != nullptr}};
  // The route is open: which provider keys exist and their states are for admins only.
  if (auto caller = Authenticate(req, ctx); caller.ok() && caller->role == "admin") {
    body["keys"] = KeyStatesJson(ctx.keys);
  }
  return JsonResponse(200, body);
}

// The caller's own spend (an admin's: everyone's); limits and what remains are global.
ApiResponse HandleCosts(ApiContext& ctx, const ApiRequest& req) {
  if (ctx.ledger == nullptr) {
    return ErrorResponse(Status::Error(Kind::kUnavailable, "COSTS_NOT_TRACKED",
                                       "costs are not tracked by this process"),
                         req.correlation_id);
  }
  auto query = MakeCostQuery(QueryParam(req, "from"), QueryParam(req, "to"),
                             QueryParam(req, "group_by"), ctx.clock->NowMillis());
  if (!query.ok()) return ErrorResponse(query.status(), req.correlation_id);
  query->service = QueryParam(req, "service");
  if (req.caller->role != "admin") query->user_id = req.caller->sub;
  auto report = ctx.ledger->Costs(*query);
  if (!report.ok()) return ErrorResponse(report.status(), req.correlation_id);
  auto windows = ctx.ledger->CurrentWindows();
  if (!windows.ok()) return ErrorResponse(windows.status(), req.correlation_id);
  // What the embedding cache saved in the window: the ledger never sees a hit.
  auto saved = ctx.store->SumEmbedSavings(query->user_id, query->from_ms, query->to_ms);
  if (!saved.ok()) return ErrorResponse(saved.status(), req.correlation_id);
  nlohmann::json body = CostsJson(*query, *report, *windows);
  body["embed_cache"] = {{"chunks_cached", saved->chunks_cached},
                         {"tokens_cached", saved->tokens_cached},
                         {"saved_usd", NanosToUsd(saved->saved_nanos)}};
  return JsonResponse(200, body);
}

}  // namespace ingestd::api
