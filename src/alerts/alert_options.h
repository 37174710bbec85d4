// Everything configurable about alerts, filled from INGESTD_ALERT_* by the CLI's config.
#pragma once

#include <cstdint>
#include <string>

#include "alerts/alert_dispatcher.h"
#include "alerts/pipeline_alerts.h"

namespace ingestd {

struct AlertOptions {
  std::string webhook_url;              // empty: alerts are logged and listed, not posted
  int64_t webhook_timeout_ms = 10'000;  // one attempt, connection included
  DispatcherOptions delivery;           // queue bound, attempts, max age, backoff
  PipelineAlertOptions rates;           // fallback and dead-letter rate thresholds
};

}  // namespace ingestd
