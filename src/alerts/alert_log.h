// AlertLog: where raised alerts are kept for GET /api/v1/alerts. SqliteAlertLog keeps them in
// the store's SQLite file (its own alerts_ tables), so the API lists the alerts of every
// process on that file; MemoryAlertLog keeps the last ones of this process only (used where
// no shared table exists yet: a PostgreSQL store).
//
// Thread-safe.
#pragma once

#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <vector>

#include "alerts/alert.h"
#include "core/status.h"

namespace ingestd {

struct AlertQuery {
  int64_t since_ms = 0;  // inclusive
  std::string kind;      // exact kind; empty: every kind
  int limit = 100;
};

class AlertLog {
 public:
  virtual ~AlertLog() = default;
  virtual Status Append(const Alert& alert) = 0;
  // Newest first, at most query.limit.
  virtual Result<std::vector<Alert>> Recent(const AlertQuery& query) = 0;
};

class MemoryAlertLog final : public AlertLog {
 public:
  explicit MemoryAlertLog(size_t capacity = 1000) : capacity_(capacity) {}
  Status Append(const Alert& alert) override;
  Result<std::vector<Alert>> Recent(const AlertQuery& query) override;

 private:
  const size_t capacity_;
  std::mutex mu_;
  std::deque<Alert> alerts_;  // oldest first; guarded by mu_
};

}  // namespace ingestd
