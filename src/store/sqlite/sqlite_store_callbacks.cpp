// SqliteStore: the completion-callback outbox (store.h ClaimCallbacks and after). One
// writer at a time holds the file, so a claim's UPDATE cannot race another claim.
#include "store/callback_codec.h"
#include "store/sqlite/sqlite_callbacks.h"
#include "store/sqlite/sqlite_query.h"
#include "store/sqlite/sqlite_rows.h"
#include "store/sqlite/sqlite_store.h"
#include "store/store_codes.h"

namespace ingestd::sqlite {
namespace {

constexpr char kInsertJobCallback[] = "INSERT INTO job_callbacks (job_id, url) VALUES (?1, ?2)";
constexpr char kQueueCallback[] =
    "INSERT INTO callback_outbox (job_id, user_id, correlation_id, type, url, next_attempt_at,"
    " created_at) SELECT j.id, j.user_id, j.correlation_id, ?2, c.url, ?3, ?3"
    " FROM job_callbacks c JOIN jobs j ON j.id = c.job_id WHERE c.job_id = ?1";
constexpr char kClaimCallbacks[] =
    "UPDATE callback_outbox SET claimed_by = ?1, lease_expires_at = ?2 + ?3,"
    " attempts = attempts + 1 WHERE id IN (SELECT id FROM callback_outbox"
    " WHERE next_attempt_at <= ?2 AND lease_expires_at <= ?2"
    " ORDER BY next_attempt_at, id LIMIT ?4) RETURNING " INGESTD_CALLBACK_COLUMNS;
constexpr char kRescheduleCallback[] =
    "UPDATE callback_outbox SET claimed_by = '', lease_expires_at = 0, next_attempt_at = ?3,"
    " body = CASE WHEN body = '' THEN ?4 ELSE body END WHERE id = ?1 AND claimed_by = ?2";
constexpr char kDeleteCallback[] = "DELETE FROM callback_outbox WHERE id = ?1 AND claimed_by = ?2";

Result<CallbackMessage> ReadMessage(const Stmt& s) { return callback_codec::ReadMessage(s); }

}  // namespace

Status InsertJobCallback(SqliteConn& c, const Job& job) {
  if (job.callback_url.empty()) return Status();
  return Run(c, kInsertJobCallback, [&](Stmt& s) { s.Bind(1, job.id).Bind(2, job.callback_url); });
}

Status QueueCallback(SqliteConn& c, std::string_view job_id, const char* type, int64_t now_ms) {
  return Run(c, kQueueCallback, [&](Stmt& s) { s.Bind(1, job_id).Bind(2, type).Bind(3, now_ms); });
}

Result<std::vector<CallbackMessage>> SqliteStore::ClaimCallbacks(std::string_view deliverer_id,
                                                                 int64_t now_ms, int64_t lease_ms,
                                                                 int limit) {
  if (deliverer_id.empty()) return store_codes::InvalidRecord("deliverer_id is required");
  limit = callback_codec::ClampClaimLimit(limit);
  if (limit == 0) return std::vector<CallbackMessage>{};
  return Write([&](SqliteConn& c) {
    return QueryAll<CallbackMessage>(
        c, kClaimCallbacks,
        [&](Stmt& s) { s.Bind(1, deliverer_id).Bind(2, now_ms).Bind(3, lease_ms).Bind(4, limit); },
        ReadMessage);
  });
}

Status SqliteStore::RescheduleCallback(int64_t id, std::string_view deliverer_id,
                                       int64_t next_attempt_at_ms, std::string_view body) {
  return Write([&](SqliteConn& c) -> Status {
    Result<int64_t> changed = Execute(c, kRescheduleCallback, [&](Stmt& s) {
      s.Bind(1, id).Bind(2, deliverer_id).Bind(3, next_attempt_at_ms).Bind(4, body);
    });
    if (!changed.ok()) return changed.status();
    return *changed == 1 ? Status() : store_codes::LeaseLost();
  });
}

Status SqliteStore::FinishCallback(int64_t id, std::string_view deliverer_id, const Event& event) {
  return Write([&](SqliteConn& c) -> Status {
    Result<int64_t> changed =
        Execute(c, kDeleteCallback, [&](Stmt& s) { s.Bind(1, id).Bind(2, deliverer_id); });
    if (!changed.ok()) return changed.status();
    if (*changed != 1) return store_codes::LeaseLost();
    return InsertEvent(c, event);
  });
}

}  // namespace ingestd::sqlite
