// `ingestd services show` and `ingestd services set-mode parse|embed MODE`: the persisted
// service modes (and their history) in the store's database, as JSON, and a switch that
// every running process applies within INGESTD_SETTINGS_POLL_MS. The actor recorded is
// "cli:$USER".
//
// This process runs no router and cannot see the servers' API keys, so set-mode checks only
// that the mode exists for the service; a server that cannot serve it keeps its mode and
// logs SERVICE_MODE_NOT_APPLIED (the API's PUT refuses such a switch with 503).
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>

#include "cli/commands.h"
#include "cli/config.h"
#include "cli/process_setup.h"
#include "cli/settings_setup.h"
#include "core/clock.h"
#include "core/ids.h"

namespace ingestd::cli {
namespace {

constexpr char kServicesUsage[] = "usage: ingestd services show | set-mode parse|embed MODE\n";

// Every mode name of the service, so only unknown modes are refused.
Status CheckModeExists(std::string_view service, ServiceMode mode) {
  return ServiceRouter::CheckModeAgainst(service, mode, {"mock", "local", "real"});
}

int Show(ModeController& modes) {
  auto current = modes.Modes();
  if (!current.ok()) return FailStart("services", current.status());
  auto history = modes.History(50, 0);
  if (!history.ok()) return FailStart("services", history.status());
  nlohmann::json out = {{"modes", nlohmann::json::object()}, {"changes", nlohmann::json::array()}};
  for (const ModeSetting& m : *current) {
    out["modes"][m.service] = {
        {"mode", m.mode},
        {"persisted", !m.updated_by.empty()},
        {"updated_by", m.updated_by},
        {"updated_at", m.updated_at_ms > 0 ? nlohmann::json(FormatRfc3339(m.updated_at_ms))
                                           : nlohmann::json(nullptr)}};
  }
  for (const ModeChange& c : *history) out["changes"].push_back(ModeChangeJson(c));
  std::printf("%s\n", out.dump(2).c_str());
  return 0;
}

}  // namespace

int RunServices(const Args& args) {
  const bool show = args.size() == 1 && args[0] == "show";
  const bool set = args.size() == 3 && args[0] == "set-mode";
  if (!show && !set) {
    std::fputs(kServicesUsage, stderr);
    return 2;
  }
  Clock* clock = SystemClock::Default();
  auto config = LoadProcessConfig(ProcessEnv());
  if (!config.ok()) return FailStart("services", config.status());
  auto settings = OpenServiceSettings(*config, clock);
  if (!settings.ok()) return FailStart("services", settings.status());
  ModeController modes(settings->get(), nullptr, CheckModeExists,
                       {config->settings_poll_ms, config->parse_mode, config->embed_mode});
  if (show) return Show(modes);

  const char* user = std::getenv("USER");
  auto change =
      modes.SetMode(args[1], args[2], std::string("cli:") + (user ? user : "unknown"), NewUuidV4());
  if (!change.ok()) {
    std::fprintf(stderr, "ingestd services: %s\n", change.status().ToString().c_str());
    return change.status().kind() == Kind::kInvalidArgument ? 2 : 1;
  }
  std::printf("%s\n", ModeChangeJson(*change).dump(2).c_str());
  return 0;
}

}  // namespace ingestd::cli
