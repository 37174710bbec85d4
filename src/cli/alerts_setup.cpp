#include "cli/alerts_setup.h"

#include <string_view>

#include "alerts/sqlite_alert_log.h"
#include "core/log.h"
#include "services/http/curl_http_client.h"

namespace ingestd::cli {
namespace {

Result<std::unique_ptr<AlertLog>> OpenAlertLog(const Config& config) {
  std::string_view url = config.database_url;
  if (!url.starts_with("sqlite://")) {
    log::Warn("alerts are listed from this process's memory only: no shared alert table yet");
    return std::unique_ptr<AlertLog>(std::make_unique<MemoryAlertLog>());
  }
  url.remove_prefix(std::string_view("sqlite://").size());
  auto log = SqliteAlertLog::Open(std::string(url));
  if (!log.ok()) return log.status();
  return std::unique_ptr<AlertLog>(std::move(*log));
}

}  // namespace

AlertSystem::~AlertSystem() {
  if (dispatcher_) dispatcher_->Stop();
}

Result<std::unique_ptr<AlertSystem>> StartAlerts(const Config& config, const Clock* clock,
                                                 Store* store,
                                                 std::function<void(const Alert&)> on_raised) {
  std::unique_ptr<AlertSystem> a(new AlertSystem());
  auto log = OpenAlertLog(config);
  if (!log.ok()) return log.status();
  a->log_ = std::move(*log);
  const AlertOptions& o = config.alerts;
  if (!o.webhook_url.empty()) {
    a->http_ = std::make_unique<http::CurlHttpClient>();
    http::HttpTimeouts timeouts;
    timeouts.connect_ms = std::min<int64_t>(timeouts.connect_ms, o.webhook_timeout_ms);
    timeouts.total_ms = o.webhook_timeout_ms;
    timeouts.max_response_bytes = 1 << 20;
    a->sender_ = std::make_unique<WebhookSender>(o.webhook_url, a->http_.get(), timeouts);
    a->dispatcher_ = std::make_unique<AlertDispatcher>(
        o.delivery,
        [sender = a->sender_.get()](const Alert& alert, int64_t now_ms) {
          return sender->Send(alert, now_ms);
        },
        clock);
    a->dispatcher_->Start();
  }
  a->hub_ = std::make_unique<AlertHub>(
      AlertHubDeps{clock, a->log_.get(), store, a->dispatcher_.get(), std::move(on_raised)});
  a->pipeline_ = std::make_unique<PipelineAlerts>(a->hub_.get(), o.rates, clock);
  return a;
}

}  // namespace ingestd::cli
