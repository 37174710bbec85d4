// GET /api/v1/alerts (admin): recent alerts, newest first.
#include <charconv>
#include <nlohmann/json.hpp>

#include "alerts/alert_log.h"
#include "api/errors.h"
#include "api/handlers.h"
#include "api/router.h"

namespace ingestd::api {

// ?since=<epoch ms>&kind=<kind>&limit=&offset=
ApiResponse HandleListAlerts(ApiContext& ctx, const ApiRequest& req) {
  if (ctx.alerts == nullptr) {
    return ErrorResponse(Status::Error(Kind::kUnavailable, "ALERTS_NOT_IN_PROCESS",
                                       "this process runs no pipeline (started with no workers)"),
                         req.correlation_id);
  }
  AlertQuery q;
  int offset = 0;
  Status s = PageParams(req, &q.limit, &offset);
  if (auto it = req.query.find("since"); s.ok() && it != req.query.end()) {
    const std::string& v = it->second;
    auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), q.since_ms);
    if (ec != std::errc() || p != v.data() + v.size() || q.since_ms < 0) {
      s = Status::InvalidArgument("INVALID_FILTER", "since must be epoch milliseconds");
    }
  }
  if (auto it = req.query.find("kind"); it != req.query.end()) q.kind = it->second;
  if (!s.ok()) return ErrorResponse(s, req.correlation_id);
  const int limit = q.limit;
  q.limit += offset;
  auto alerts = ctx.alerts->Recent(q);
  if (!alerts.ok()) return ErrorResponse(alerts.status(), req.correlation_id);
  nlohmann::json list = nlohmann::json::array();
  for (size_t i = static_cast<size_t>(offset); i < alerts->size(); ++i) {
    list.push_back(AlertJson((*alerts)[i]));
  }
  return JsonResponse(200, {{"alerts", list}, {"limit", limit}, {"offset", offset}});
}

}  // namespace ingestd::api
