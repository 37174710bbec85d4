// ModeController: live mode switching in one process (issue #8). It validates and persists
// a switch (ServiceSettings: the mode and its history row in one transaction), applies it
// to this process's ServiceRouter at once, writes the audit log line, and polls the
// settings so switches made by any other process (or `ingestd services set-mode`) reach
// this one within a poll interval.
//
// The configured (env) modes only matter while nothing is persisted for a service. A
// persisted mode this process cannot serve (e.g. real without an API key here) is not
// applied: the process keeps its mode and logs SERVICE_MODE_NOT_APPLIED once per change.
//
// Thread-safe. settings and router (nullable: a process without a pipeline only persists
// switches) must outlive the controller.
#pragma once

#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "control/service_settings.h"
#include "services/router/service_mode.h"
#include "services/router/service_router.h"

namespace ingestd {

// Whether a service can run under a mode (ServiceRouter::CheckMode's contract).
using ModeCheck = std::function<Status(std::string_view service, ServiceMode mode)>;

// A change as the API and `ingestd services` show it (times in RFC 3339).
nlohmann::json ModeChangeJson(const ModeChange& change);

struct ModeControllerOptions {
  int64_t poll_ms = 2000;     // INGESTD_SETTINGS_POLL_MS
  std::string parse_default;  // the configured modes (PARSE_MODE / EMBED_MODE)
  std::string embed_default;
};

class ModeController {
 public:
  // check validates switches: the router's CheckMode in a process with a pipeline, else a
  // check of what the configuration would register.
  ModeController(ServiceSettings* settings, ServiceRouter* router, ModeCheck check,
                 ModeControllerOptions options);
  ~ModeController();  // stops polling
  ModeController(const ModeController&) = delete;
  ModeController& operator=(const ModeController&) = delete;

  // Switches service to mode: kInvalidArgument SERVICE_UNKNOWN / SERVICE_MODE_UNKNOWN, or
  // the check's kUnavailable SERVICE_NOT_CONFIGURED (nothing persisted then); otherwise
  // persisted with its history row, applied here, and logged ("service mode changed").
  Result<ModeChange> SetMode(std::string_view service, std::string_view mode,
                             const std::string& actor, const std::string& correlation_id);
  // Newest first.
  Result<std::vector<ModeChange>> History(int limit, int offset);
  // The mode each service is meant to run under: persisted, else the configured default
  // (updated_by and updated_at_ms empty then).
  Result<std::vector<ModeSetting>> Modes();

  // Applies the persisted modes to the router now (start-up, and each poll).
  Status Sync();
  // A thread running Sync every poll_ms until Stop (or destruction).
  void StartPolling();
  void Stop();

 private:
  const std::string& DefaultOf(std::string_view service) const;
  void Apply(const ModeSetting& setting);

  ServiceSettings* const settings_;
  ServiceRouter* const router_;
  const ModeCheck check_;
  const ModeControllerOptions options_;
  std::mutex sync_mu_;                          // one Sync at a time
  std::map<std::string, std::string> refused_;  // service → mode not applicable; sync_mu_
  std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;  // guarded by mu_
  std::thread poller_;
};

}  // namespace ingestd
