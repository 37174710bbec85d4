#include "alerts/alert_hub.h"

#include "core/ids.h"
#include "core/log.h"

namespace ingestd {

void AlertHub::Raise(Alert alert) const {
  if (alert.id.empty()) alert.id = NewUuidV4();
  if (alert.at_ms == 0) alert.at_ms = deps_.clock->NowMillis();
  nlohmann::json fields = AlertJson(alert);
  fields.erase("id");
  fields.erase("message");
  fields["alert_id"] = alert.id;
  log::Write(alert.severity == "info" ? log::Level::kInfo : log::Level::kWarn,
             "alert: " + alert.message, fields);
  if (deps_.on_raised) deps_.on_raised(alert);
  if (deps_.log != nullptr) {
    if (Status s = deps_.log->Append(alert); !s.ok()) {
      log::Error("could not record an alert", {{"correlation_id", alert.correlation_id},
                                               {"job_id", alert.job_id},
                                               {"alert_id", alert.id},
                                               {"code", s.code()}});
    }
  }
  if (deps_.store != nullptr && !alert.job_id.empty()) {
    Event e;
    e.job_id = alert.job_id;
    e.correlation_id = alert.correlation_id;
    e.type = "alert";
    e.code = AlertEventCode(alert);
    e.payload = AlertJson(alert);
    e.payload.erase("job_id");
    e.payload.erase("correlation_id");
    e.at_ms = alert.at_ms;
    (void)deps_.store->AppendEvent(e);  // best effort: logged and listed either way
  }
  if (deps_.webhook != nullptr) deps_.webhook->Enqueue(alert);
}

}  // namespace ingestd
