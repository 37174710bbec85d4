// Live mode switching for the long-running commands and `ingestd services`: the service
// settings in the store's database (SQLite file of DATABASE_URL, or its PostgreSQL
// database) and the ModeController over this process's router.
#pragma once

#include <memory>

#include "cli/config.h"
#include "control/mode_controller.h"
#include "control/service_settings.h"
#include "core/clock.h"
#include "services/router/service_router.h"

namespace ingestd::cli {

// The settings and the controller that polls them; the controller (declared last) stops
// before the settings go.
struct LiveModes {
  std::unique_ptr<ServiceSettings> settings;
  std::unique_ptr<ModeController> controller;
};

// Opens (and migrates) the control_* tables in the database DATABASE_URL names.
Result<std::unique_ptr<ServiceSettings>> OpenServiceSettings(const Config& config,
                                                             const Clock* clock);

// Opens the settings, applies the persisted modes to router now (before its first call)
// and re-reads them every config.settings_poll_ms. router must outlive the result.
Result<LiveModes> StartLiveModes(const Config& config, const Clock* clock, ServiceRouter* router);

}  // namespace ingestd::cli
