// SqliteServiceSettings: ServiceSettings in a SQLite file, normally the store's own database
// (tables control_service_modes and control_mode_history, migrated through
// control_migrations). SetMode runs in a BEGIN IMMEDIATE transaction, so the previous mode
// it records cannot change under it.
//
// Thread safety: one connection behind a mutex; processes sharing the file are serialized
// by SQLite's write lock and busy timeout.
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "control/service_settings.h"
#include "core/clock.h"
#include "db/sqlite_db.h"

namespace ingestd {

class SqliteServiceSettings final : public ServiceSettings {
 public:
  // Opens (creating if needed) and migrates path; clock must outlive the settings.
  static Result<std::unique_ptr<SqliteServiceSettings>> Open(const std::string& path,
                                                             const Clock* clock);

  Result<std::vector<ModeSetting>> Modes() override;
  Result<ModeChange> SetMode(const SetModeRequest& request) override;
  Result<std::vector<ModeChange>> History(int limit, int offset) override;

 private:
  SqliteServiceSettings(std::unique_ptr<sqlite::SqliteConn> conn, const Clock* clock)
      : clock_(clock), conn_(std::move(conn)) {}

  const Clock* const clock_;
  std::mutex mu_;
  std::unique_ptr<sqlite::SqliteConn> conn_;  // guarded by mu_
};

}  // namespace ingestd
