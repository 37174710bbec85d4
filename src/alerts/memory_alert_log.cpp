#include "alerts/alert_log.h"

namespace ingestd {

Status MemoryAlertLog::Append(const Alert& alert) {
  std::lock_guard lock(mu_);
  alerts_.push_back(alert);
  while (alerts_.size() > capacity_) alerts_.pop_front();
  return Status();
}

Result<std::vector<Alert>> MemoryAlertLog::Recent(const AlertQuery& q) {
  std::lock_guard lock(mu_);
  std::vector<Alert> out;
  for (auto it = alerts_.rbegin(); it != alerts_.rend() && static_cast<int>(out.size()) < q.limit;
       ++it) {
    if (it->at_ms >= q.since_ms && (q.kind.empty() || it->kind == q.kind)) out.push_back(*it);
  }
  return out;
}

}  // namespace ingestd
