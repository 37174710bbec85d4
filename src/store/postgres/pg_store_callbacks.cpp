// PgStore: the completion-callback outbox (store.h ClaimCallbacks and after). The claim
// skips rows another transaction has locked (FOR UPDATE SKIP LOCKED), so deliverers in
// several processes claim disjoint rows at once instead of waiting on each other.
#include "store/callback_codec.h"
#include "store/postgres/pg_rows.h"
#include "store/postgres/pg_store.h"
#include "store/store_codes.h"

namespace ingestd::pg {
namespace {

constexpr char kClaimCallbacks[] =
    "UPDATE callback_outbox SET claimed_by = $1, lease_expires_at = $2::bigint + $3::bigint,"
    " attempts = attempts + 1 WHERE id IN (SELECT id FROM callback_outbox"
    " WHERE next_attempt_at <= $2::bigint AND lease_expires_at <= $2::bigint"
    " ORDER BY next_attempt_at, id LIMIT $4::integer FOR UPDATE SKIP LOCKED)"
    " RETURNING " INGESTD_CALLBACK_COLUMNS;
constexpr char kRescheduleCallback[] =
    "UPDATE callback_outbox SET claimed_by = '', lease_expires_at = 0,"
    " next_attempt_at = $3::bigint, body = CASE WHEN body = '' THEN $4 ELSE body END"
    " WHERE id = $1::bigint AND claimed_by = $2";
constexpr char kDeleteCallback[] =
    "DELETE FROM callback_outbox WHERE id = $1::bigint AND claimed_by = $2";

Result<CallbackMessage> ReadMessage(const PgRow& r) { return callback_codec::ReadMessage(r); }

}  // namespace

Result<std::vector<CallbackMessage>> PgStore::ClaimCallbacks(std::string_view deliverer_id,
                                                             int64_t now_ms, int64_t lease_ms,
                                                             int limit) {
  if (deliverer_id.empty()) return store_codes::InvalidRecord("deliverer_id is required");
  limit = callback_codec::ClampClaimLimit(limit);
  if (limit == 0) return std::vector<CallbackMessage>{};
  // A claim lost with a dead connection only leaves rows whose lease then expires.
  return Autocommit([&](PgConn& c) {
    return QueryAll<CallbackMessage>(
        c, kClaimCallbacks, PgParams().Add(deliverer_id).Add(now_ms).Add(lease_ms).Add(limit),
        ReadMessage);
  });
}

Status PgStore::RescheduleCallback(int64_t id, std::string_view deliverer_id,
                                   int64_t next_attempt_at_ms, std::string_view body) {
  return Autocommit([&](PgConn& c) -> Status {
    Result<int64_t> changed =
        Execute(c, kRescheduleCallback,
                PgParams().Add(id).Add(deliverer_id).Add(next_attempt_at_ms).Add(body));
    if (!changed.ok()) return changed.status();
    return *changed == 1 ? Status() : store_codes::LeaseLost();
  });
}

Status PgStore::FinishCallback(int64_t id, std::string_view deliverer_id, const Event& event) {
  return pool_.Transaction([&](PgConn& c) -> Status {
    Result<int64_t> changed = Execute(c, kDeleteCallback, PgParams().Add(id).Add(deliverer_id));
    if (!changed.ok()) return changed.status();
    if (*changed != 1) return store_codes::LeaseLost();  // rolls back
    return InsertEvent(c, event);
  });
}

}  // namespace ingestd::pg
