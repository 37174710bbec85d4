// The filters of an AuditQuery as the fixed parameter list both backends bind, in this
// order, to one static WHERE clause (statements are cached by their SQL's address, so the
// clause cannot be assembled per query): an empty text matches everything; the status range
// and outcome flag cover "any", one HTTP status, "ok" and "error".
#pragma once

#include <cstdint>
#include <string>

#include "audit/audit_log.h"

namespace ingestd::audit {

struct FilterParams {
  int64_t from_ms, to_ms;
  std::string service, job_id, user_id, key_id;
  int64_t status_lo, status_hi;  // http_status in [lo, hi)
  int64_t outcome;               // 0 any, 1 error_code set, 2 error_code empty
};

inline FilterParams FilterOf(const AuditQuery& q) {
  FilterParams f{q.from_ms, q.to_ms, q.service, q.job_id, q.user_id, q.key_id, 0, 1000, 0};
  if (q.http_status) {
    f.status_lo = *q.http_status;
    f.status_hi = *q.http_status + 1;
  }
  if (q.outcome == AuditQuery::Outcome::kError) f.outcome = 1;
  if (q.outcome == AuditQuery::Outcome::kOk) f.outcome = 2;
  return f;
}

}  // namespace ingestd::audit
