// Completion callbacks (store.h CallbackMessage): what both backends share — the message
// types, the webhook id, the claim limit and the row mapping of the claim's RETURNING list.
#pragma once

#include <algorithm>
#include <string>

#include "store/store.h"

namespace ingestd::callback_codec {

inline constexpr char kCompleted[] = "job.completed";  // CommitStage to kDone
inline constexpr char kFailed[] = "job.failed";        // DeadLetter

// Both backends' claims return these columns, in this order.
#define INGESTD_CALLBACK_COLUMNS \
  "id, job_id, user_id, correlation_id, type, url, body, attempts, created_at"

inline int ClampClaimLimit(int limit) { return std::clamp(limit, 0, 100); }

// Job ids are UUIDs, so the id is unique across databases, not only within one.
inline std::string WebhookId(const std::string& job_id, int64_t id) {
  return "msg_" + job_id + "_" + std::to_string(id);
}

// Row: a SQLite Stmt or a PostgreSQL PgRow (Int, Text).
template <typename Row>
CallbackMessage ReadMessage(const Row& r) {
  CallbackMessage m;
  m.id = r.Int(0);
  m.job_id = r.Text(1);
  m.user_id = r.Text(2);
  m.correlation_id = r.Text(3);
  m.type = r.Text(4);
  m.url = r.Text(5);
  m.body = r.Text(6);
  m.attempts = static_cast<int>(r.Int(7));
  m.created_at_ms = r.Int(8);
  m.webhook_id = WebhookId(m.job_id, m.id);
  return m;
}

}  // namespace ingestd::callback_codec
