#include "store/sqlite/migrations.h"

#include "core/log.h"

namespace ingestd::sqlite {
namespace {

constexpr char kCreateMigrationsTable[] = R"sql(
CREATE TABLE IF NOT EXISTS schema_migrations (
  version    INTEGER PRIMARY KEY,
  name       TEXT NOT NULL,
  applied_at INTEGER NOT NULL DEFAULT (CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER))
))sql";

constexpr char kIsApplied[] = "SELECT 1 FROM schema_migrations WHERE version = ?1";
constexpr char kRecordApplied[] = "INSERT INTO schema_migrations (version, name) VALUES (?1, ?2)";

// v1: the core tables. Status and state hold the strings of core/model.h ToString().
// Times are Unix milliseconds. The claim index is partial: it holds only the jobs a worker
// could claim, so finished jobs never slow the claim query down.
constexpr char kV1InitialSchema[] = R"sql(
CREATE TABLE documents (
  id         TEXT PRIMARY KEY,
  user_id    TEXT NOT NULL,
  filename   TEXT NOT NULL,
  mime       TEXT NOT NULL,
  size_bytes INTEGER NOT NULL,
  sha256     TEXT NOT NULL,
  blob_key   TEXT NOT NULL DEFAULT '',
  page_count INTEGER NOT NULL DEFAULT -1,
  created_at INTEGER NOT NULL,
  UNIQUE (user_id, sha256)
);

CREATE TABLE jobs (
  id               TEXT PRIMARY KEY,
  document_id      TEXT NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
  user_id          TEXT NOT NULL,
  status           TEXT NOT NULL,
  state            TEXT NOT NULL,
  retry_count      INTEGER NOT NULL DEFAULT 0,
  last_error       TEXT,
  correlation_id   TEXT NOT NULL,
  service_mode     TEXT NOT NULL DEFAULT '',
  claimed_by       TEXT NOT NULL DEFAULT '',
  lease_expires_at INTEGER NOT NULL DEFAULT 0,
  retry_at         INTEGER NOT NULL DEFAULT 0,
  stage_pct        INTEGER NOT NULL DEFAULT 0,
  timings          TEXT NOT NULL DEFAULT '{}',
  created_at       INTEGER NOT NULL,
  updated_at       INTEGER NOT NULL
);
CREATE INDEX jobs_claimable ON jobs (created_at, id)
  WHERE state IN ('queued', 'retryable', 'working');
CREATE INDEX jobs_by_user ON jobs (user_id, created_at, id);
CREATE INDEX jobs_by_document ON jobs (document_id, created_at);

CREATE TABLE chunks (
  id           TEXT PRIMARY KEY,
  document_id  TEXT NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
  ord          INTEGER NOT NULL,
  text         TEXT NOT NULL,
  heading_path TEXT NOT NULL DEFAULT '',
  token_count  INTEGER NOT NULL,
  char_start   INTEGER NOT NULL,
  char_end     INTEGER NOT NULL,
  UNIQUE (document_id, ord)
);

CREATE TABLE vectors (
  chunk_id    TEXT NOT NULL REFERENCES chunks (id) ON DELETE CASCADE,
  model       TEXT NOT NULL,
  document_id TEXT NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
  dims        INTEGER NOT NULL,
  data        BLOB NOT NULL,
  PRIMARY KEY (chunk_id, model)
) WITHOUT ROWID;
CREATE INDEX vectors_by_document ON vectors (document_id);

-- No foreign key to jobs: events may outlive a job's row or belong to no job (budget
-- alerts); DeleteDocument removes a document's events explicitly.
CREATE TABLE events (
  id             INTEGER PRIMARY KEY AUTOINCREMENT,
  job_id         TEXT NOT NULL,
  correlation_id TEXT NOT NULL,
  type           TEXT NOT NULL,
  code           TEXT NOT NULL,
  stage          TEXT NOT NULL DEFAULT '',
  payload        TEXT NOT NULL DEFAULT '{}',
  at             INTEGER NOT NULL
);
CREATE INDEX events_by_job ON events (job_id, id);
)sql";

// v2: v1's single claim index made every claim walk past live leases and not-yet-due
// retries (a retry backlog during an outage cost milliseconds per claim under the write
// lock). One partial index per claim branch instead; see kPickNext.
constexpr char kV2ClaimIndexes[] = R"sql(
DROP INDEX jobs_claimable;
CREATE INDEX jobs_claim_queued ON jobs (created_at, id)
  WHERE state = 'queued' AND status <> 'awaiting_upload';
CREATE INDEX jobs_claim_retryable ON jobs (retry_at) WHERE state = 'retryable';
CREATE INDEX jobs_claim_leased ON jobs (lease_expires_at) WHERE state = 'working';
)sql";

// Page range of a chunk's text (0 when the markdown carries no page markers).
constexpr char kV3ChunkPages[] = R"sql(
ALTER TABLE chunks ADD COLUMN page_start INTEGER NOT NULL DEFAULT 0;
ALTER TABLE chunks ADD COLUMN page_end INTEGER NOT NULL DEFAULT 0;
)sql";

// v4: what a job records about its cost and routing (model.h Job), and its processing
// priority: the queued claim index leads with it, so the highest priority is the index's
// head (see kPickNext). Booleans are 0/1.
constexpr char kV4JobCostAndPriority[] = R"sql(
ALTER TABLE jobs ADD COLUMN processing_priority INTEGER NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN router_config TEXT NOT NULL DEFAULT '{}';
ALTER TABLE jobs ADD COLUMN cost_estimate TEXT NOT NULL DEFAULT '{}';
ALTER TABLE jobs ADD COLUMN service_health_status TEXT NOT NULL DEFAULT '{}';
ALTER TABLE jobs ADD COLUMN cost_tracking_enabled INTEGER NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN fallback_triggered INTEGER NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN actual_cost_parse_nanos INTEGER NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN actual_cost_embed_nanos INTEGER NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN stage_routes TEXT NOT NULL DEFAULT '{}';
DROP INDEX jobs_claim_queued;
CREATE INDEX jobs_claim_queued ON jobs (processing_priority DESC, created_at, id)
  WHERE state = 'queued' AND status <> 'awaiting_upload';
)sql";

// v5: provider webhook deliveries, unique per (job, event id) so a retried delivery is
// recorded once (Store::RecordWebhookDelivery), and when a delivery last woke the job (the
// per-job rate limit on the polls deliveries cause).
constexpr char kV5WebhookDeliveries[] = R"sql(
CREATE TABLE webhook_deliveries (
  job_id      TEXT NOT NULL,
  event_id    TEXT NOT NULL,
  event_type  TEXT NOT NULL,
  received_at INTEGER NOT NULL,
  PRIMARY KEY (job_id, event_id)
) WITHOUT ROWID;
ALTER TABLE jobs ADD COLUMN webhook_woken_at INTEGER NOT NULL DEFAULT 0;
)sql";

Status ApplyOne(SqliteConn& conn, const Migration& m) {
  Result<Txn> txn = Txn::Begin(conn, Txn::Mode::kImmediate);
  if (!txn.ok()) return txn.status();
  {
    // Checked inside the write transaction: another process may have just applied it.
    Result<Stmt> check = conn.Prepare(kIsApplied);
    if (!check.ok()) return check.status();
    check->Bind(1, m.version);
    Result<bool> applied = check->Step();
    if (!applied.ok()) return applied.status();
    if (*applied) return Status();
  }
  Status s = conn.Exec(m.sql);
  if (!s.ok()) return s;
  Result<Stmt> record = conn.Prepare(kRecordApplied);
  if (!record.ok()) return record.status();
  record->Bind(1, m.version).Bind(2, m.name);
  s = record->Run();
  if (!s.ok()) return s;
  s = txn->Commit();
  if (s.ok()) log::Info("schema migration applied", {{"version", m.version}, {"name", m.name}});
  return s;
}

}  // namespace

const std::vector<Migration>& Migrations() {
  static const std::vector<Migration> kAll = {
      {1, "initial_schema", kV1InitialSchema},
      {2, "claim_indexes", kV2ClaimIndexes},
      {3, "chunk_pages", kV3ChunkPages},
      {4, "job_cost_and_priority", kV4JobCostAndPriority},
      {5, "webhook_deliveries", kV5WebhookDeliveries},
  };
  return kAll;
}

Status ApplyMigrations(SqliteConn& conn) {
  Status s = conn.Exec(kCreateMigrationsTable);
  if (!s.ok()) return s;
  for (const Migration& m : Migrations()) {
    s = ApplyOne(conn, m);
    if (!s.ok()) return s;
  }
  return Status();
}

}  // namespace ingestd::sqlite
