#include "control/pg_service_settings.h"

#include "db/pg_subsystem_db.h"

namespace ingestd {
namespace {

using pg::PgConn;
using pg::PgParams;
using pg::PgResult;

constexpr char kLock[] = "SELECT pg_advisory_xact_lock($1::bigint)";
// Schema versions of MigrateSubsystem: append, never edit an applied one.
constexpr char kMigration1[] = R"sql(
CREATE TABLE control_service_modes (
  service        text PRIMARY KEY,
  mode           text NOT NULL,
  updated_by     text NOT NULL,
  updated_at_ms  bigint NOT NULL
);
CREATE TABLE control_mode_history (
  change_id      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  service        text NOT NULL,
  from_mode      text NOT NULL,
  to_mode        text NOT NULL,
  actor          text NOT NULL,
  correlation_id text NOT NULL,
  at_ms          bigint NOT NULL
);
)sql";

constexpr char kSelectModes[] =
    "SELECT service, mode, updated_by, updated_at_ms FROM control_service_modes "
    "ORDER BY service";
constexpr char kSelectMode[] = "SELECT mode FROM control_service_modes WHERE service = $1";
constexpr char kUpsertMode[] =
    "INSERT INTO control_service_modes (service, mode, updated_by, updated_at_ms) "
    "VALUES ($1, $2, $3, $4::bigint) ON CONFLICT (service) DO UPDATE SET mode = excluded.mode, "
    "updated_by = excluded.updated_by, updated_at_ms = excluded.updated_at_ms";
constexpr char kInsertChange[] =
    "INSERT INTO control_mode_history (service, from_mode, to_mode, actor, correlation_id, "
    "at_ms) VALUES ($1, $2, $3, $4, $5, $6::bigint) RETURNING change_id";
constexpr char kSelectHistory[] =
    "SELECT change_id, service, from_mode, to_mode, actor, correlation_id, at_ms "
    "FROM control_mode_history ORDER BY change_id DESC LIMIT $1::integer OFFSET $2::integer";

Status Lock(PgConn& c) { return c.Query(kLock, PgParams().Add(kControlLockKey)).status(); }

}  // namespace

PgServiceSettings::PgServiceSettings(const std::string& url, const Clock* clock)
    : clock_(clock), pool_(url, pg::PgPoolOptions{.max_size = 2}) {}

Result<std::unique_ptr<PgServiceSettings>> PgServiceSettings::Open(const std::string& url,
                                                                   const Clock* clock) {
  std::unique_ptr<PgServiceSettings> settings(new PgServiceSettings(url, clock));
  if (Status s = settings->Migrate(); !s.ok()) return s;
  return settings;
}

Status PgServiceSettings::Migrate() {
  const char* const migrations[] = {kMigration1};
  return pg::MigrateSubsystem(pool_, "control", migrations);
}

Result<std::vector<ModeSetting>> PgServiceSettings::Modes() {
  auto conn = pool_.Acquire();
  if (!conn.ok()) return conn.status();
  auto res = (*conn)->Query(kSelectModes, PgParams());
  if (!res.ok()) return res.status();
  std::vector<ModeSetting> modes;
  for (int i = 0; i < res->rows(); ++i) {
    modes.push_back({res->Text(i, 0), res->Text(i, 1), res->Text(i, 2), res->Int(i, 3)});
  }
  return modes;
}

Result<ModeChange> PgServiceSettings::SetMode(const SetModeRequest& r) {
  const int64_t now = clock_->NowMillis();
  return pool_.Transaction([&](PgConn& c) -> Result<ModeChange> {
    ModeChange change{0, r.service, r.default_mode, r.mode, r.actor, r.correlation_id, now};
    if (Status s = Lock(c); !s.ok()) return s;
    auto current = c.Query(kSelectMode, PgParams().Add(r.service));
    if (!current.ok()) return current.status();
    if (current->rows() > 0) change.from_mode = current->Text(0, 0);
    auto upsert = c.Query(kUpsertMode, PgParams().Add(r.service).Add(r.mode).Add(r.actor).Add(now));
    if (!upsert.ok()) return upsert.status();
    auto inserted = c.Query(kInsertChange, PgParams()
                                               .Add(r.service)
                                               .Add(change.from_mode)
                                               .Add(r.mode)
                                               .Add(r.actor)
                                               .Add(r.correlation_id)
                                               .Add(now));
    if (!inserted.ok()) return inserted.status();
    change.change_id = inserted->Int(0, 0);
    return change;
  });
}

Result<std::vector<ModeChange>> PgServiceSettings::History(int limit, int offset) {
  auto conn = pool_.Acquire();
  if (!conn.ok()) return conn.status();
  auto res = (*conn)->Query(kSelectHistory, PgParams().Add(limit).Add(offset));
  if (!res.ok()) return res.status();
  std::vector<ModeChange> changes;
  for (int i = 0; i < res->rows(); ++i) {
    changes.push_back({res->Int(i, 0), res->Text(i, 1), res->Text(i, 2), res->Text(i, 3),
                       res->Text(i, 4), res->Text(i, 5), res->Int(i, 6)});
  }
  return changes;
}

}  // namespace ingestd
