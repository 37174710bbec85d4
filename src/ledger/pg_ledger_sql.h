// SQL of the PostgreSQL ledger, as named constants (PgConn prepares each once per
// connection, keyed by address). Same tables and meaning as sqlite_ledger_sql.h.
//
// Locking: every statement that changes window rows first locks all of them with
// SELECT … ORDER BY window_key COLLATE "C" FOR UPDATE, so concurrent reservations and
// settlements take their row locks in one global order and cannot deadlock one another
// (a deadlock from elsewhere is still retried by PgPool::Transaction). Settle and release
// lock the reservation row first, then its windows; reserve locks no reservation row.
#pragma once

#include <cstdint>

namespace ingestd::pg_ledger_sql {

// Migrations (db/pg_subsystem_db.h, prefix "ledger"): append, never edit an
// applied one. Text that is grouped or ordered collates as
// bytes ("C"), as in SQLite.
inline constexpr char kMigration1[] = R"sql(
CREATE TABLE ledger_windows (
  window_key      text COLLATE "C" PRIMARY KEY,
  scope           text COLLATE "C" NOT NULL,  -- total | parse | embed | user:<id>
  metric          text COLLATE "C" NOT NULL,  -- usd (nanos) | requests
  window_start_ms bigint NOT NULL,
  window_end_ms   bigint NOT NULL,
  limit_value     bigint NOT NULL,
  spent           bigint NOT NULL DEFAULT 0,
  reserved        bigint NOT NULL DEFAULT 0
);
CREATE INDEX ledger_windows_end ON ledger_windows (window_end_ms);
CREATE TABLE ledger_reservations (
  reservation_id  text COLLATE "C" PRIMARY KEY,
  service         text NOT NULL,
  user_id         text NOT NULL,
  job_id          text NOT NULL,
  correlation_id  text NOT NULL,
  estimate_nanos  bigint NOT NULL,
  created_at_ms   bigint NOT NULL,
  expires_at_ms   bigint NOT NULL
);
CREATE INDEX ledger_reservations_expiry ON ledger_reservations (expires_at_ms);
CREATE TABLE ledger_holds (
  reservation_id  text COLLATE "C" NOT NULL,
  window_key      text COLLATE "C" NOT NULL,
  amount          bigint NOT NULL,
  PRIMARY KEY (reservation_id, window_key)
);
CREATE TABLE ledger_spend (
  spend_id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  reservation_id  text NOT NULL,
  service         text COLLATE "C" NOT NULL,
  user_id         text COLLATE "C" NOT NULL,
  job_id          text COLLATE "C" NOT NULL,
  correlation_id  text NOT NULL,
  model           text NOT NULL,
  units           bigint NOT NULL,
  unit            text NOT NULL,
  cost_nanos      bigint NOT NULL,
  at_ms           bigint NOT NULL
);
CREATE INDEX ledger_spend_at ON ledger_spend (at_ms);
CREATE TABLE ledger_alerts (
  alert_id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  window_key      text COLLATE "C",  -- NULL for zero_cost alerts (NULLs never collide)
  kind            text NOT NULL,
  scope           text NOT NULL,
  metric          text NOT NULL,
  window_start_ms bigint NOT NULL,
  spent           bigint NOT NULL,
  limit_value     bigint NOT NULL,
  reservation_id  text NOT NULL,
  job_id          text NOT NULL,
  correlation_id  text NOT NULL,
  at_ms           bigint NOT NULL,
  UNIQUE (window_key, kind)
);
CREATE INDEX ledger_alerts_at ON ledger_alerts (at_ms);
)sql";

// Reservations lapse instead of vanishing (see sqlite_ledger_sql.h kMigration2).
inline constexpr char kMigration2[] = R"sql(
ALTER TABLE ledger_reservations ADD COLUMN on_expiry text NOT NULL DEFAULT 'release';
ALTER TABLE ledger_reservations ADD COLUMN lapsed_at_ms bigint;
ALTER TABLE ledger_reservations ADD COLUMN charged_nanos bigint NOT NULL DEFAULT 0;
ALTER TABLE ledger_holds ADD COLUMN charged bigint NOT NULL DEFAULT 0;
CREATE INDEX ledger_reservations_lapsed ON ledger_reservations (lapsed_at_ms)
  WHERE lapsed_at_ms IS NOT NULL;
)sql";

// $1: a JSON array of {window_key, scope, metric, window_start_ms, window_end_ms,
// limit_value}, inserted (and locked) in key order. The limit follows the configuration of
// the latest writer.
inline constexpr char kEnsureWindows[] = R"sql(
INSERT INTO ledger_windows (window_key, scope, metric, window_start_ms, window_end_ms,
                            limit_value)
SELECT window_key, scope, metric, window_start_ms, window_end_ms, limit_value
FROM jsonb_to_recordset($1::jsonb) AS x(window_key text, scope text, metric text,
                                        window_start_ms bigint, window_end_ms bigint,
                                        limit_value bigint)
ORDER BY window_key COLLATE "C"
ON CONFLICT (window_key) DO UPDATE SET limit_value = excluded.limit_value
  WHERE ledger_windows.limit_value <> excluded.limit_value)sql";

// The reservation, one statement: lock every window of the call ($2: JSON array of keys; $3
// their number) in key order, decide from the locked rows whether the amount fits all of
// them (each its limit less what the priority reserve holds back from this request: $12, a
// JSON object of key → HeldBack), and only then add it to each, record the reservation
// ($4…$11) and its holds. One row per locked window (one row of NULLs when there are none):
// ok, then the window as it stood before the reservation, then its key and the amount it takes.
inline constexpr char kReserve[] = R"sql(
WITH l AS MATERIALIZED (
  SELECT w.window_key, w.scope, w.metric, w.window_start_ms, w.window_end_ms, w.limit_value,
         w.spent, w.reserved,
         CASE w.metric WHEN 'requests' THEN 1 ELSE $1::bigint END AS amount,
         coalesce(($12::jsonb ->> w.window_key)::bigint, 0) AS held
  FROM ledger_windows w
  WHERE w.window_key IN (SELECT jsonb_array_elements_text($2::jsonb))
  ORDER BY w.window_key COLLATE "C"
  FOR UPDATE OF w),
ok AS (
  SELECT count(*) = $3::bigint
         AND coalesce(bool_and(spent + reserved + amount <= limit_value - held), true) AS ok
  FROM l),
u AS (
  UPDATE ledger_windows w SET reserved = w.reserved + l.amount
  FROM l, ok WHERE ok.ok AND w.window_key = l.window_key),
r AS (
  INSERT INTO ledger_reservations (reservation_id, service, user_id, job_id, correlation_id,
                                   estimate_nanos, created_at_ms, expires_at_ms, on_expiry)
  SELECT $4::text, $5::text, $6::text, $7::text, $8::text, $1::bigint, $9::bigint,
         $10::bigint, $11::text FROM ok WHERE ok.ok),
h AS (
  INSERT INTO ledger_holds (reservation_id, window_key, amount)
  SELECT $4::text, l.window_key, l.amount FROM l, ok WHERE ok.ok)
SELECT ok.ok, l.scope, l.metric, l.window_start_ms, l.window_end_ms, l.limit_value, l.spent,
       l.reserved, l.window_key
FROM ok LEFT JOIN l ON true)sql";

inline constexpr char kTakeReservation[] =
    "DELETE FROM ledger_reservations WHERE reservation_id = $1 "
    "RETURNING service, user_id, job_id, correlation_id, estimate_nanos, "
    "lapsed_at_ms IS NOT NULL, charged_nanos";

// After u (the windows of reservation $1 as changed, locked): records each 80% / 95% /
// exhausted crossing once per window (UNIQUE (window_key, kind); $4…$6: job, correlation,
// now) when $3 and returns the alerts it inserted, in window then threshold order.
#define INGESTD_PG_LEDGER_THRESHOLD_ALERTS                                                  \
  "INSERT INTO ledger_alerts (window_key, kind, scope, metric, window_start_ms, spent, "    \
  "                           limit_value, reservation_id, job_id, correlation_id, at_ms) " \
  "SELECT u.window_key, t.kind, u.scope, u.metric, u.window_start_ms, u.spent, "            \
  "       u.limit_value, $1::text, $4::text, $5::text, $6::bigint "                         \
  "FROM u CROSS JOIN (VALUES ('pct80', 80), ('pct95', 95), ('exhausted', 100)) "            \
  "  AS t(kind, pct) "                                                                      \
  "WHERE $3::boolean AND u.spent * 100 >= u.limit_value * t.pct "                           \
  "ORDER BY u.window_key COLLATE \"C\", t.pct "                                             \
  "ON CONFLICT (window_key, kind) DO NOTHING "                                              \
  "RETURNING kind, scope, metric, window_start_ms, spent, limit_value"

// Undoes the holds of reservation $1 on its (locked) windows; $2: the actual cost in nanos;
// $3: true to settle (count the spend), false to release. What a lapse charged a window
// (holds.charged) is replaced by the final amount. Then the threshold alerts above.
inline constexpr char kApplyHolds[] = R"sql(
WITH l AS MATERIALIZED (
  SELECT w.window_key, h.amount, h.charged, w.metric
  FROM ledger_windows w JOIN ledger_holds h ON h.window_key = w.window_key
  WHERE h.reservation_id = $1
  ORDER BY w.window_key COLLATE "C"
  FOR UPDATE OF w),
u AS (
  UPDATE ledger_windows w SET reserved = w.reserved - l.amount, spent = w.spent - l.charged +
    CASE WHEN NOT $3::boolean THEN 0 WHEN l.metric = 'requests' THEN 1 ELSE $2::bigint END
  FROM l WHERE w.window_key = l.window_key
  RETURNING w.window_key, w.scope, w.metric, w.window_start_ms, w.spent, w.limit_value)
)sql" INGESTD_PG_LEDGER_THRESHOLD_ALERTS;

// Lapse of reservation $1 (its row locked and marked by kLapseReservation first): its holds
// leave the (locked) windows, charged to their spend when $2 (the estimate, or the one
// request), and remember the charge; then the threshold alerts above ($3 = $2: a charge may
// cross a threshold, a release cannot).
inline constexpr char kLapseHolds[] = R"sql(
WITH l AS MATERIALIZED (
  SELECT w.window_key, h.amount
  FROM ledger_windows w JOIN ledger_holds h ON h.window_key = w.window_key
  WHERE h.reservation_id = $1
  ORDER BY w.window_key COLLATE "C"
  FOR UPDATE OF w),
h AS (
  UPDATE ledger_holds h SET charged = CASE WHEN $2::boolean THEN h.amount ELSE 0 END, amount = 0
  WHERE h.reservation_id = $1),
u AS (
  UPDATE ledger_windows w SET reserved = w.reserved - l.amount,
    spent = w.spent + CASE WHEN $2::boolean THEN l.amount ELSE 0 END
  FROM l WHERE w.window_key = l.window_key
  RETURNING w.window_key, w.scope, w.metric, w.window_start_ms, w.spent, w.limit_value)
)sql" INGESTD_PG_LEDGER_THRESHOLD_ALERTS;
#undef INGESTD_PG_LEDGER_THRESHOLD_ALERTS

// Marks reservation $1 lapsed at $3 ($2: charge its estimate); no row when it was settled,
// released or lapsed meanwhile. Returns what the lapse's spend row needs.
inline constexpr char kLapseReservation[] =
    "UPDATE ledger_reservations SET lapsed_at_ms = $3::bigint, "
    "  charged_nanos = CASE WHEN $2::boolean THEN estimate_nanos ELSE 0 END "
    "WHERE reservation_id = $1 AND lapsed_at_ms IS NULL "
    "RETURNING service, user_id, job_id, correlation_id, estimate_nanos";

// The windows of reservation $1 above their limit after settling: one cost_overrun each.
inline constexpr char kSelectOverruns[] =
    "SELECT w.scope, w.metric, w.window_start_ms, w.spent, w.limit_value "
    "FROM ledger_holds h JOIN ledger_windows w ON w.window_key = h.window_key "
    "WHERE h.reservation_id = $1 AND w.spent > w.limit_value ORDER BY w.window_key COLLATE \"C\"";

// Moves open reservations' expiry ($1: a JSON array of ids) to at least $2.
inline constexpr char kExtend[] =
    "UPDATE ledger_reservations SET expires_at_ms = greatest(expires_at_ms, $2::bigint) "
    "WHERE reservation_id IN (SELECT jsonb_array_elements_text($1::jsonb)) "
    "AND lapsed_at_ms IS NULL";

// Tombstones lapsed at or before $1, with their holds.
inline constexpr char kPurgeLapsed[] = R"sql(
WITH gone AS (
  DELETE FROM ledger_reservations WHERE lapsed_at_ms IS NOT NULL AND lapsed_at_ms <= $1::bigint
  RETURNING reservation_id)
DELETE FROM ledger_holds h USING gone WHERE h.reservation_id = gone.reservation_id)sql";

// The spend row a lapse charge wrote; replaced by the settle's (or dropped by a release).
inline constexpr char kDeleteSpend[] = "DELETE FROM ledger_spend WHERE reservation_id = $1";

inline constexpr char kDeleteHolds[] = "DELETE FROM ledger_holds WHERE reservation_id = $1";

inline constexpr char kInsertSpend[] =
    "INSERT INTO ledger_spend (reservation_id, service, user_id, job_id, correlation_id, model, "
    "units, unit, cost_nanos, at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7::bigint, $8, "
    "$9::bigint, $10::bigint)";

// One alert row; ON CONFLICT makes a window's alert of a kind fire once across processes.
inline constexpr char kRaiseAlert[] =
    "INSERT INTO ledger_alerts (window_key, kind, scope, metric, window_start_ms, spent, "
    "limit_value, reservation_id, job_id, correlation_id, at_ms) "
    "VALUES ($1, $2, $3, $4, $5::bigint, $6::bigint, $7::bigint, $8, $9, $10, $11::bigint) "
    "ON CONFLICT (window_key, kind) DO NOTHING";

inline constexpr char kSelectExpired[] =
    "SELECT reservation_id, on_expiry FROM ledger_reservations "
    "WHERE expires_at_ms <= $1::bigint AND lapsed_at_ms IS NULL";

inline constexpr char kSelectCurrentWindows[] =
    "SELECT scope, metric, window_start_ms, window_end_ms, limit_value, spent, reserved "
    "FROM ledger_windows WHERE window_start_ms <= $1::bigint AND window_end_ms > $1::bigint "
    "ORDER BY scope, metric, window_end_ms - window_start_ms";

// A snapshot for the two reads of a report.
inline constexpr char kReadSnapshot[] = "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ";

inline constexpr char kOpenReservations[] =
    "SELECT count(*), coalesce(sum(estimate_nanos), 0) FROM ledger_reservations "
    "WHERE lapsed_at_ms IS NULL";

#define INGESTD_PG_LEDGER_COSTS_BY(expr)                                            \
  "SELECT " expr                                                                    \
  ", sum(cost_nanos), count(*), sum(units) FROM ledger_spend "                      \
  "WHERE at_ms >= $1::bigint AND at_ms < $2::bigint AND ($3 = '' OR user_id = $3) " \
  "AND ($4 = '' OR service = $4) GROUP BY 1 ORDER BY 1"
inline constexpr char kCostsByService[] = INGESTD_PG_LEDGER_COSTS_BY("service");
inline constexpr char kCostsByUser[] = INGESTD_PG_LEDGER_COSTS_BY("user_id");
inline constexpr char kCostsByJob[] = INGESTD_PG_LEDGER_COSTS_BY("job_id");
inline constexpr char kCostsByDay[] = INGESTD_PG_LEDGER_COSTS_BY("at_ms - at_ms % 86400000");
inline constexpr char kCostsByHour[] = INGESTD_PG_LEDGER_COSTS_BY("at_ms - at_ms % 3600000");
#undef INGESTD_PG_LEDGER_COSTS_BY

inline constexpr char kSelectAlertsSince[] =
    "SELECT kind, scope, metric, window_start_ms, spent, limit_value, reservation_id, job_id, "
    "correlation_id FROM ledger_alerts WHERE at_ms >= $1::bigint ORDER BY alert_id";

}  // namespace ingestd::pg_ledger_sql
