// PUT /api/v1/services/{service}/mode and GET /api/v1/services/modes/history (admin only):
// live mode switching through this process's ModeController (src/control).
#include <nlohmann/json.hpp>

#include "api/errors.h"
#include "api/handlers.h"
#include "api/router.h"
#include "api/validation.h"
#include "control/mode_controller.h"
#include "core/clock.h"
#include "core/json_read.h"

namespace ingestd::api {
namespace {

using nlohmann::json;

ApiResponse NoModes(const ApiRequest& req) {
  return ErrorResponse(Status::Error(Kind::kUnavailable, "MODES_NOT_IN_PROCESS",
                                     "this process has no service router to switch"),
                       req.correlation_id);
}

}  // namespace

ApiResponse HandleSetServiceMode(ApiContext& ctx, const ApiRequest& req) {
  if (ctx.modes == nullptr) return NoModes(req);
  const json body = json::parse(req.body, nullptr, false);
  if (body.is_discarded() || !body.is_object()) {
    return ErrorResponse(
        Status::InvalidArgument("INVALID_JSON", "body must be a JSON object {\"mode\": \"...\"}"),
        req.correlation_id);
  }
  if (!body.contains("mode") || body["mode"].is_null()) {
    return ErrorResponse(MissingField("mode"), req.correlation_id);
  }
  auto mode = json_read::String(body, "mode");
  if (!mode) return ErrorResponse(WrongType("mode", "a string"), req.correlation_id);
  auto change =
      ctx.modes->SetMode(req.params.at("service"), *mode, req.caller->sub, req.correlation_id);
  if (!change.ok()) return ErrorResponse(change.status(), req.correlation_id);
  return JsonResponse(200, ModeChangeJson(*change));
}

ApiResponse HandleModeHistory(ApiContext& ctx, const ApiRequest& req) {
  if (ctx.modes == nullptr) return NoModes(req);
  int limit = 50, offset = 0;
  if (Status s = PageParams(req, &limit, &offset); !s.ok()) {
    return ErrorResponse(s, req.correlation_id);
  }
  auto history = ctx.modes->History(limit, offset);
  if (!history.ok()) return ErrorResponse(history.status(), req.correlation_id);
  auto modes = ctx.modes->Modes();
  if (!modes.ok()) return ErrorResponse(modes.status(), req.correlation_id);
  json changes = json::array(), current = json::object();
  for (const ModeChange& c : *history) changes.push_back(ModeChangeJson(c));
  for (const ModeSetting& m : *modes) current[m.service] = m.mode;
  return JsonResponse(
      200, {{"modes", current}, {"changes", changes}, {"limit", limit}, {"offset", offset}});
}

}  // namespace ingestd::api
