// PgServiceSettings: ServiceSettings in the store's PostgreSQL database (tables
// control_service_modes and control_mode_history, migrated through control_migrations).
// Migrations and SetMode take a transaction-scoped advisory lock (kControlLockKey), so
// processes starting together migrate once and concurrent switches record an unbroken
// from → to chain.
//
// Thread-safe: a small pool of its own connections.
#pragma once

#include <memory>
#include <string>

#include "control/service_settings.h"
#include "core/clock.h"
#include "db/pg_pool.h"

namespace ingestd {

// pg_advisory_xact_lock key of the control tables ("ingctrl!" in ASCII).
inline constexpr int64_t kControlLockKey = 0x696e676374726c21;

class PgServiceSettings final : public ServiceSettings {
 public:
  // Connects to url and migrates; clock must outlive the settings.
  static Result<std::unique_ptr<PgServiceSettings>> Open(const std::string& url,
                                                         const Clock* clock);

  Result<std::vector<ModeSetting>> Modes() override;
  Result<ModeChange> SetMode(const SetModeRequest& request) override;
  Result<std::vector<ModeChange>> History(int limit, int offset) override;

 private:
  PgServiceSettings(const std::string& url, const Clock* clock);
  Status Migrate();

  const Clock* const clock_;
  pg::PgPool pool_;
};

}  // namespace ingestd
