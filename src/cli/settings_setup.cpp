#include "cli/settings_setup.h"

#include <string_view>

#include "control/pg_service_settings.h"
#include "control/sqlite_service_settings.h"

namespace ingestd::cli {

Result<std::unique_ptr<ServiceSettings>> OpenServiceSettings(const Config& config,
                                                             const Clock* clock) {
  std::string_view url = config.database_url;
  if (url.starts_with("postgres://") || url.starts_with("postgresql://")) {
    auto settings = PgServiceSettings::Open(config.database_url, clock);
    if (!settings.ok()) return settings.status();
    return std::unique_ptr<ServiceSettings>(std::move(*settings));
  }
  if (url.starts_with("sqlite://")) url.remove_prefix(std::string_view("sqlite://").size());
  auto settings = SqliteServiceSettings::Open(std::string(url), clock);
  if (!settings.ok()) return settings.status();
  return std::unique_ptr<ServiceSettings>(std::move(*settings));
}

Result<LiveModes> StartLiveModes(const Config& config, const Clock* clock, ServiceRouter* router) {
  LiveModes live;
  auto settings = OpenServiceSettings(config, clock);
  if (!settings.ok()) return settings.status();
  live.settings = std::move(*settings);
  live.controller = std::make_unique<ModeController>(
      live.settings.get(), router,
      [router](std::string_view service, ServiceMode mode) {
        return router->CheckMode(service, mode);
      },
      ModeControllerOptions{config.settings_poll_ms, config.parse_mode, config.embed_mode});
  if (Status s = live.controller->Sync(); !s.ok()) return s;
  live.controller->StartPolling();
  return live;
}

}  // namespace ingestd::cli
