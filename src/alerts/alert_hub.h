// AlertHub: where every alert is raised. Raise() fills the id and time, writes the JSON log
// line, keeps the alert in the AlertLog (GET /api/v1/alerts), appends it to its job's events
// when it has a job, and hands it to the webhook dispatcher. Each step is best effort: a
// failing one is logged and the others still happen. Nothing here waits on the network.
//
// Thread-safe; every collaborator is optional and must outlive the hub.
#pragma once

#include <functional>

#include "alerts/alert.h"
#include "alerts/alert_dispatcher.h"
#include "alerts/alert_log.h"
#include "core/clock.h"
#include "store/store.h"

namespace ingestd {

struct AlertHubDeps {
  const Clock* clock = nullptr;        // required
  AlertLog* log = nullptr;             // the alert list
  Store* store = nullptr;              // job events
  AlertDispatcher* webhook = nullptr;  // INGESTD_ALERT_WEBHOOK_URL deliveries
  // Hears every alert raised (the alert metrics), on the raising thread; quick, thread-safe.
  std::function<void(const Alert&)> on_raised = nullptr;
};

class AlertHub {
 public:
  explicit AlertHub(AlertHubDeps deps) : deps_(deps) {}
  void Raise(Alert alert) const;

 private:
  const AlertHubDeps deps_;
};

}  // namespace ingestd
