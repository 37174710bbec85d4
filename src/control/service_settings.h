// ServiceSettings: the operator's persisted choices for the running services — today the
// mode of each service (parse, embed) and the history of every change. Stored in the
// store's own database (tables prefixed control_, migrated by the implementation itself),
// so every process on that database and every restart sees one truth.
//
// Implementations: SqliteServiceSettings (the store's SQLite file) and PgServiceSettings
// (the store's PostgreSQL database). Thread-safe; many processes may share one database.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"

namespace ingestd {

// The persisted mode of one service.
struct ModeSetting {
  std::string service;  // "parse" | "embed"
  std::string mode;     // "mock" | "local" | "real" | "hybrid"
  std::string updated_by;
  int64_t updated_at_ms = 0;
};

// One row of the mode history: an audit record of a switch.
struct ModeChange {
  int64_t change_id = 0;  // increasing in commit order
  std::string service;
  std::string from_mode;
  std::string to_mode;
  std::string actor;  // the token's subject, or "cli:<user>" for `ingestd services`
  std::string correlation_id;
  int64_t at_ms = 0;
};

struct SetModeRequest {
  std::string service;
  std::string mode;
  std::string actor;
  std::string correlation_id;
  // Recorded as from_mode when the service has no persisted mode yet (the mode the
  // configuration started it in).
  std::string default_mode;
};

class ServiceSettings {
 public:
  virtual ~ServiceSettings() = default;

  // The persisted mode of every service that has one (services never set are absent).
  virtual Result<std::vector<ModeSetting>> Modes() = 0;
  // Persists request.mode for request.service and appends its history row, in one
  // transaction: from_mode is the mode persisted at that moment (or default_mode), so
  // concurrent switches record an unbroken chain. Setting the current mode again is still
  // recorded (the operator's action is audited). The caller validates service and mode.
  virtual Result<ModeChange> SetMode(const SetModeRequest& request) = 0;
  // The history, newest first; limit 1..500, offset >= 0.
  virtual Result<std::vector<ModeChange>> History(int limit, int offset) = 0;
};

}  // namespace ingestd
