// SQL of the SQLite ledger, as named constants (statement cache keys by address). Window
// rows hold spent and reserved per limit; a reservation holds an amount in each window it
// counted against (ledger_holds), so settle and release undo exactly what reserve did.
#pragma once

namespace ingestd::ledger_sql {

// Migrations (db/sqlite_subsystem_db.h, prefix "ledger"): append, never edit an applied one.
inline constexpr char kMigration1[] = R"sql(
CREATE TABLE ledger_windows (
  window_key      TEXT PRIMARY KEY,
  scope           TEXT NOT NULL,     -- total | parse | embed | user:<id>
  metric          TEXT NOT NULL,     -- usd (nanos) | requests
  window_start_ms INTEGER NOT NULL,
  window_end_ms   INTEGER NOT NULL,
  limit_value     INTEGER NOT NULL,
  spent           INTEGER NOT NULL DEFAULT 0,
  reserved        INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX ledger_windows_end ON ledger_windows (window_end_ms);
CREATE TABLE ledger_reservations (
  reservation_id  TEXT PRIMARY KEY,
  service         TEXT NOT NULL,
  user_id         TEXT NOT NULL,
  job_id          TEXT NOT NULL,
  correlation_id  TEXT NOT NULL,
  estimate_nanos  INTEGER NOT NULL,
  created_at_ms   INTEGER NOT NULL,
  expires_at_ms   INTEGER NOT NULL
);
CREATE INDEX ledger_reservations_expiry ON ledger_reservations (expires_at_ms);
CREATE TABLE ledger_holds (
  reservation_id  TEXT NOT NULL,
  window_key      TEXT NOT NULL,
  amount          INTEGER NOT NULL,
  PRIMARY KEY (reservation_id, window_key)
) WITHOUT ROWID;
CREATE TABLE ledger_spend (
  spend_id        INTEGER PRIMARY KEY,
  reservation_id  TEXT NOT NULL,
  service         TEXT NOT NULL,
  user_id         TEXT NOT NULL,
  job_id          TEXT NOT NULL,
  correlation_id  TEXT NOT NULL,
  model           TEXT NOT NULL,
  units           INTEGER NOT NULL,
  unit            TEXT NOT NULL,
  cost_nanos      INTEGER NOT NULL,
  at_ms           INTEGER NOT NULL
);
CREATE INDEX ledger_spend_at ON ledger_spend (at_ms);
CREATE TABLE ledger_alerts (
  alert_id        INTEGER PRIMARY KEY,
  window_key      TEXT,              -- NULL for zero_cost alerts (one per call)
  kind            TEXT NOT NULL,
  scope           TEXT NOT NULL,
  metric          TEXT NOT NULL,
  window_start_ms INTEGER NOT NULL,
  spent           INTEGER NOT NULL,
  limit_value     INTEGER NOT NULL,
  reservation_id  TEXT NOT NULL,
  job_id          TEXT NOT NULL,
  correlation_id  TEXT NOT NULL,
  at_ms           INTEGER NOT NULL,
  UNIQUE (window_key, kind)
);
CREATE INDEX ledger_alerts_at ON ledger_alerts (at_ms);
)sql";

// Reservations lapse instead of vanishing: a lapsed one (lapsed_at_ms set) holds nothing any
// more (its holds' amount is 0) and remembers what the lapse charged, per window (holds.charged)
// and in total (charged_nanos, with a spend row), so a late settle or release corrects it.
inline constexpr char kMigration2[] = R"sql(
ALTER TABLE ledger_reservations ADD COLUMN on_expiry TEXT NOT NULL DEFAULT 'release';
ALTER TABLE ledger_reservations ADD COLUMN lapsed_at_ms INTEGER;
ALTER TABLE ledger_reservations ADD COLUMN charged_nanos INTEGER NOT NULL DEFAULT 0;
ALTER TABLE ledger_holds ADD COLUMN charged INTEGER NOT NULL DEFAULT 0;
CREATE INDEX ledger_reservations_lapsed ON ledger_reservations (lapsed_at_ms)
  WHERE lapsed_at_ms IS NOT NULL;
)sql";

// The limit follows the configuration of the latest writer.
inline constexpr char kEnsureWindow[] =
    "INSERT INTO ledger_windows (window_key, scope, metric, window_start_ms, window_end_ms, "
    "limit_value) VALUES (?1, ?2, ?3, ?4, ?5, ?6) "
    "ON CONFLICT (window_key) DO UPDATE SET limit_value = excluded.limit_value";

// The reservation itself: one statement that takes the amount from every window (?2, a JSON
// object of window key → what the priority reserve holds back from this request, HeldBack)
// only if none of them would pass its limit less that. Changes() == number of windows on
// success, 0 otherwise. The hot statements avoid what SQLite runs through a temporary
// b-tree (IN lists and subqueries checked by NOT EXISTS, RETURNING, VALUES joins): each one
// opens a pager with a ~90 KB page cache, and malloc returned that memory to the kernel and
// faulted it back in on every call (bench/ledger: ~100 µs of a 180 µs call). The check below
// is a join driven by json_each with primary-key lookups; only the update's IN needs one.
inline constexpr char kReserve[] =
    "UPDATE ledger_windows SET reserved = reserved + "
    "  CASE metric WHEN 'requests' THEN 1 ELSE ?1 END "
    "WHERE window_key IN (SELECT key FROM json_each(?2)) AND NOT EXISTS ("
    "  SELECT 1 FROM json_each(?2) j JOIN ledger_windows w ON w.window_key = j.key "
    "  WHERE w.spent + w.reserved + CASE w.metric WHEN 'requests' THEN 1 ELSE ?1 END "
    "      > w.limit_value - j.value)";

inline constexpr char kInsertReservation[] =
    "INSERT INTO ledger_reservations (reservation_id, service, user_id, job_id, correlation_id, "
    "estimate_nanos, created_at_ms, expires_at_ms, on_expiry) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";

inline constexpr char kInsertHolds[] =
    "INSERT INTO ledger_holds (reservation_id, window_key, amount) "
    "SELECT ?1, w.window_key, CASE w.metric WHEN 'requests' THEN 1 ELSE ?2 END "
    "FROM json_each(?3) j JOIN ledger_windows w ON w.window_key = j.value";

inline constexpr char kSelectWindowsByKey[] =
    "SELECT scope, metric, window_start_ms, window_end_ms, limit_value, spent, reserved, "
    "window_key FROM ledger_windows WHERE window_key IN (SELECT value FROM json_each(?1))";

// Read, then deleted (inside the same BEGIN IMMEDIATE transaction: nobody else writes).
inline constexpr char kSelectReservation[] =
    "SELECT service, user_id, job_id, correlation_id, estimate_nanos, lapsed_at_ms IS NOT NULL, "
    "charged_nanos FROM ledger_reservations WHERE reservation_id = ?1";
inline constexpr char kDeleteReservation[] =
    "DELETE FROM ledger_reservations WHERE reservation_id = ?1";

// ?2: the actual cost in nanos; ?3: 1 to settle (count the spend), 0 to release. What a
// lapse charged the window (h.charged) is replaced by the final amount.
inline constexpr char kApplyHolds[] =
    "UPDATE ledger_windows SET reserved = reserved - h.amount, spent = spent - h.charged + "
    "  CASE WHEN ?3 = 0 THEN 0 WHEN ledger_windows.metric = 'requests' THEN 1 ELSE ?2 END "
    "FROM ledger_holds h WHERE h.reservation_id = ?1 AND h.window_key = ledger_windows.window_key";

// The windows of reservation ?1 above their limit after settling: one cost_overrun alert each.
inline constexpr char kSelectOverruns[] =
    "SELECT w.scope, w.metric, w.window_start_ms, w.spent, w.limit_value "
    "FROM ledger_holds h JOIN ledger_windows w ON w.window_key = h.window_key "
    "WHERE h.reservation_id = ?1 AND w.spent > w.limit_value ORDER BY w.window_key";

// Lapse of reservation ?1, in one transaction: its holds leave the windows, charged to their
// spend when ?2 = 1 (the estimate, or the one request), then remember the charge.
inline constexpr char kLapseWindows[] =
    "UPDATE ledger_windows SET reserved = reserved - h.amount, "
    "  spent = spent + CASE WHEN ?2 = 0 THEN 0 ELSE h.amount END "
    "FROM ledger_holds h WHERE h.reservation_id = ?1 AND h.window_key = ledger_windows.window_key";
inline constexpr char kLapseHolds[] =
    "UPDATE ledger_holds SET charged = CASE WHEN ?2 = 0 THEN 0 ELSE amount END, amount = 0 "
    "WHERE reservation_id = ?1";
// Changes() == 0: settled, released or lapsed meanwhile.
inline constexpr char kLapseReservation[] =
    "UPDATE ledger_reservations SET lapsed_at_ms = ?3, "
    "  charged_nanos = CASE WHEN ?2 = 0 THEN 0 ELSE estimate_nanos END "
    "WHERE reservation_id = ?1 AND lapsed_at_ms IS NULL";

// Moves open reservations' expiry (?1: a JSON array of ids) to at least ?2.
inline constexpr char kExtend[] =
    "UPDATE ledger_reservations SET expires_at_ms = max(expires_at_ms, ?2) "
    "WHERE reservation_id IN (SELECT value FROM json_each(?1)) AND lapsed_at_ms IS NULL";

// Tombstones lapsed at or before ?1: their holds, then themselves.
inline constexpr char kPurgeLapsedHolds[] =
    "DELETE FROM ledger_holds WHERE reservation_id IN (SELECT reservation_id FROM "
    "ledger_reservations WHERE lapsed_at_ms IS NOT NULL AND lapsed_at_ms <= ?1)";
inline constexpr char kPurgeLapsed[] =
    "DELETE FROM ledger_reservations WHERE lapsed_at_ms IS NOT NULL AND lapsed_at_ms <= ?1";

// The spend row a lapse charge wrote; replaced by the settle's (or dropped by a release).
inline constexpr char kDeleteSpend[] = "DELETE FROM ledger_spend WHERE reservation_id = ?1";

// The windows of reservation ?1 at 80% or more of their limit after settling: candidates for
// threshold alerts (kRaiseAlert per crossed threshold; UNIQUE (window_key, kind) makes each
// fire once per window across processes).
inline constexpr char kSelectCrossings[] =
    "SELECT w.window_key, w.scope, w.metric, w.window_start_ms, w.spent, w.limit_value "
    "FROM ledger_holds h JOIN ledger_windows w ON w.window_key = h.window_key "
    "WHERE h.reservation_id = ?1 AND w.spent * 100 >= w.limit_value * 80";

inline constexpr char kRaiseAlert[] =
    "INSERT OR IGNORE INTO ledger_alerts (window_key, kind, scope, metric, window_start_ms, "
    "spent, limit_value, reservation_id, job_id, correlation_id, at_ms) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)";

inline constexpr char kDeleteHolds[] = "DELETE FROM ledger_holds WHERE reservation_id = ?1";

inline constexpr char kInsertSpend[] =
    "INSERT INTO ledger_spend (reservation_id, service, user_id, job_id, correlation_id, model, "
    "units, unit, cost_nanos, at_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)";

inline constexpr char kSelectExpired[] =
    "SELECT reservation_id, on_expiry FROM ledger_reservations "
    "WHERE expires_at_ms <= ?1 AND lapsed_at_ms IS NULL";

inline constexpr char kSelectCurrentWindows[] =
    "SELECT scope, metric, window_start_ms, window_end_ms, limit_value, spent, reserved "
    "FROM ledger_windows WHERE window_start_ms <= ?1 AND window_end_ms > ?1 "
    "ORDER BY scope, metric, window_end_ms - window_start_ms";

inline constexpr char kOpenReservations[] =
    "SELECT count(*), coalesce(sum(estimate_nanos), 0) FROM ledger_reservations "
    "WHERE lapsed_at_ms IS NULL";

#define INGESTD_LEDGER_COSTS_BY(expr)                               \
  "SELECT " expr                                                    \
  ", sum(cost_nanos), count(*), sum(units) FROM ledger_spend "      \
  "WHERE at_ms >= ?1 AND at_ms < ?2 AND (?3 = '' OR user_id = ?3) " \
  "AND (?4 = '' OR service = ?4) GROUP BY 1 ORDER BY 1"
inline constexpr char kCostsByService[] = INGESTD_LEDGER_COSTS_BY("service");
inline constexpr char kCostsByUser[] = INGESTD_LEDGER_COSTS_BY("user_id");
inline constexpr char kCostsByJob[] = INGESTD_LEDGER_COSTS_BY("job_id");
inline constexpr char kCostsByDay[] = INGESTD_LEDGER_COSTS_BY("at_ms - at_ms % 86400000");
inline constexpr char kCostsByHour[] = INGESTD_LEDGER_COSTS_BY("at_ms - at_ms % 3600000");
#undef INGESTD_LEDGER_COSTS_BY

inline constexpr char kSelectAlertsSince[] =
    "SELECT kind, scope, metric, window_start_ms, spent, limit_value, reservation_id, job_id, "
    "correlation_id FROM ledger_alerts WHERE at_ms >= ?1 ORDER BY alert_id";

}  // namespace ingestd::ledger_sql
