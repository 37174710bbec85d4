// Builds the alert machinery of a pipeline process from Config::alerts: the alert log (in
// the store's SQLite file; in memory, this process only, on PostgreSQL), the webhook
// dispatcher and its delivery thread (only with INGESTD_ALERT_WEBHOOK_URL), the hub, and
// the PipelineAlerts whose On* methods the ledger, router and workers call.
#pragma once

#include <memory>

#include "alerts/alert_dispatcher.h"
#include "alerts/alert_hub.h"
#include "alerts/alert_log.h"
#include "alerts/pipeline_alerts.h"
#include "cli/config.h"
#include "services/http/http_client.h"

namespace ingestd::cli {

class AlertSystem {
 public:
  ~AlertSystem();  // stops the delivery thread first
  AlertLog* log() { return log_.get(); }
  PipelineAlerts* pipeline() { return pipeline_.get(); }
  // Null without a webhook URL.
  AlertDispatcher* dispatcher() { return dispatcher_.get(); }

 private:
  friend Result<std::unique_ptr<AlertSystem>> StartAlerts(const Config&, const Clock*, Store*,
                                                          std::function<void(const Alert&)>);
  AlertSystem() = default;

  std::unique_ptr<AlertLog> log_;
  std::unique_ptr<http::HttpClient> http_;
  std::unique_ptr<WebhookSender> sender_;
  std::unique_ptr<AlertDispatcher> dispatcher_;
  std::unique_ptr<AlertHub> hub_;
  std::unique_ptr<PipelineAlerts> pipeline_;
};

// clock and store must outlive the result. Fails when the alert log cannot be opened.
// on_raised (optional) hears every alert raised (AlertHubDeps::on_raised).
Result<std::unique_ptr<AlertSystem>> StartAlerts(const Config& config, const Clock* clock,
                                                 Store* store,
                                                 std::function<void(const Alert&)> on_raised = {});

}  // namespace ingestd::cli
