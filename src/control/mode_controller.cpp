#include "control/mode_controller.h"

#include <chrono>

#include "core/clock.h"
#include "core/last_resort.h"
#include "core/log.h"

namespace ingestd {

ModeController::ModeController(ServiceSettings* settings, ServiceRouter* router, ModeCheck check,
                               ModeControllerOptions options)
    : settings_(settings),
      router_(router),
      check_(std::move(check)),
      options_(std::move(options)) {}

ModeController::~ModeController() { Stop(); }

const std::string& ModeController::DefaultOf(std::string_view service) const {
  return service == "parse" ? options_.parse_default : options_.embed_default;
}

Result<ModeChange> ModeController::SetMode(std::string_view service, std::string_view mode_text,
                                           const std::string& actor,
                                           const std::string& correlation_id) {
  if (service != "parse" && service != "embed") {
    return Status::InvalidArgument(
        "SERVICE_UNKNOWN", "unknown service '" + std::string(service) + "' (parse or embed)");
  }
  auto mode = ParseServiceMode(mode_text);
  if (!mode.ok()) return mode.status();
  if (Status s = check_(service, *mode); !s.ok()) return s;
  auto change = settings_->SetMode(
      {std::string(service), ToString(*mode), actor, correlation_id, DefaultOf(service)});
  if (!change.ok()) return change.status();
  log::Info("service mode changed", {{"correlation_id", correlation_id},
                                     {"service", change->service},
                                     {"from", change->from_mode},
                                     {"to", change->to_mode},
                                     {"actor", change->actor},
                                     {"change_id", change->change_id}});
  if (router_ != nullptr) {
    std::lock_guard lock(sync_mu_);
    Apply({change->service, change->to_mode, actor, change->at_ms});
  }
  return change;
}

Result<std::vector<ModeChange>> ModeController::History(int limit, int offset) {
  return settings_->History(limit, offset);
}

Result<std::vector<ModeSetting>> ModeController::Modes() {
  auto persisted = settings_->Modes();
  if (!persisted.ok()) return persisted.status();
  std::vector<ModeSetting> modes;
  for (const char* service : {"parse", "embed"}) {
    ModeSetting m{service, DefaultOf(service), "", 0};
    for (const ModeSetting& p : *persisted) {
      if (p.service == service) m = p;
    }
    modes.push_back(std::move(m));
  }
  return modes;
}

Status ModeController::Sync() {
  if (router_ == nullptr) return Status();
  auto persisted = settings_->Modes();
  if (!persisted.ok()) return persisted.status();
  std::lock_guard lock(sync_mu_);
  for (const ModeSetting& setting : *persisted) Apply(setting);
  return Status();
}

void ModeController::Apply(const ModeSetting& setting) {
  auto mode = ParseServiceMode(setting.mode);
  auto current = router_->Mode(setting.service);
  if (!current.ok()) return;  // a service this build does not route
  if (mode.ok() && *mode == *current) {
    refused_.erase(setting.service);
    return;
  }
  Result<ServiceMode> previous =
      mode.ok() ? router_->SetMode(setting.service, *mode) : Result<ServiceMode>(mode.status());
  if (!previous.ok()) {
    auto [it, inserted] = refused_.try_emplace(setting.service, setting.mode);
    if (!inserted && it->second == setting.mode) return;  // reported already
    it->second = setting.mode;
    log::Error("service mode not applied", {{"code", "SERVICE_MODE_NOT_APPLIED"},
                                            {"service", setting.service},
                                            {"mode", setting.mode},
                                            {"kept", ToString(*current)},
                                            {"reason", previous.status().code()}});
    return;
  }
  refused_.erase(setting.service);
  log::Info("service mode applied", {{"service", setting.service},
                                     {"from", ToString(*previous)},
                                     {"to", setting.mode},
                                     {"updated_by", setting.updated_by}});
}

void ModeController::StartPolling() {
  poller_ = std::thread([this] {
    std::unique_lock lock(mu_);
    while (!stopping_) {
      wake_.wait_for(lock, std::chrono::milliseconds(options_.poll_ms));
      if (stopping_) break;
      lock.unlock();
      Status s;
      if (auto error = RunGuarded("service mode poller", [&] { s = Sync(); })) {
        s = Status::Internal("MODE_SYNC_THREW", *error);
      }
      if (!s.ok()) log::Warn("service settings poll failed", {{"code", s.code()}});
      lock.lock();
    }
  });
}

void ModeController::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (poller_.joinable()) poller_.join();
}

nlohmann::json ModeChangeJson(const ModeChange& c) {
  return {{"change_id", c.change_id},
          {"service", c.service},
          {"from", c.from_mode},
          {"to", c.to_mode},
          {"actor", c.actor},
          {"correlation_id", c.correlation_id},
          {"at", FormatRfc3339(c.at_ms)}};
}

}  // namespace ingestd
