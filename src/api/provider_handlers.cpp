// GET /api/v1/audit (admin): the audit log of paid provider calls, with filters and paging;
// and the provider key states that GET /api/v1/services/health reports (key ids only).
#include <nlohmann/json.hpp>

#include "api/errors.h"
#include "api/handlers.h"
#include "api/router.h"
#include "audit/audit_query.h"
#include "core/clock.h"
#include "services/keys/key_registry.h"

namespace ingestd::api {

ApiResponse HandleAudit(ApiContext& ctx, const ApiRequest& req) {
  if (ctx.audit == nullptr) {
    return ErrorResponse(
        Status::Error(Kind::kUnavailable, "AUDIT_NOT_AVAILABLE", "this process has no audit log"),
        req.correlation_id);
  }
  auto query = MakeAuditQuery(req.query, ctx.clock->NowMillis());
  if (!query.ok()) return ErrorResponse(query.status(), req.correlation_id);
  if (Status s = PageParams(req, &query->limit, &query->offset); !s.ok()) {
    return ErrorResponse(s, req.correlation_id);
  }
  auto page = ctx.audit->Query(*query);
  if (!page.ok()) return ErrorResponse(page.status(), req.correlation_id);
  return JsonResponse(200, AuditPageJson(*query, *page));
}

nlohmann::json KeyStatesJson(const KeyRegistry* keys) {
  nlohmann::json out = nlohmann::json::object();
  if (keys == nullptr) return out;
  for (const auto& [provider, ring] : keys->rings()) {
    nlohmann::json list = nlohmann::json::array();
    for (const KeyState& k : ring->States()) {
      list.push_back({{"id", k.id},
                      {"state", k.active ? "active" : "revoked"},
                      {"uses", k.uses},
                      {"revoked_at", k.active ? nlohmann::json(nullptr)
                                              : nlohmann::json(FormatRfc3339(k.revoked_at_ms))},
                      {"revoked_reason",
                       k.active ? nlohmann::json(nullptr) : nlohmann::json(k.revoked_reason)}});
    }
    out[provider] = std::move(list);
  }
  return out;
}

}  // namespace ingestd::api
