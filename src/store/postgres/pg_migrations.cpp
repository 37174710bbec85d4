#include "store/postgres/pg_migrations.h"

#include "core/log.h"

namespace ingestd::pg {
namespace {

constexpr char kLock[] = "SELECT pg_advisory_xact_lock($1::bigint)";
constexpr char kCreateMigrationsTable[] = R"sql(
CREATE TABLE IF NOT EXISTS schema_migrations (
  version    integer PRIMARY KEY,
  name       text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now()
))sql";
constexpr char kIsApplied[] = "SELECT 1 FROM schema_migrations WHERE version = $1::integer";
constexpr char kRecordApplied[] =
    "INSERT INTO schema_migrations (version, name) VALUES ($1::integer, $2)";

// v1: the core tables. Status and state hold the strings of core/model.h ToString(); times
// are Unix milliseconds. Ids and model names collate as bytes ("C"), so every ORDER BY on
// them agrees with SQLite's. Vectors are float32 little-endian bytes (vector_codec.h).
constexpr char kV1InitialSchema[] = R"sql(
CREATE TABLE documents (
  id         text COLLATE "C" PRIMARY KEY,
  user_id    text COLLATE "C" NOT NULL,
  filename   text NOT NULL,
  mime       text NOT NULL,
  size_bytes bigint NOT NULL,
  sha256     text COLLATE "C" NOT NULL,
  blob_key   text NOT NULL DEFAULT '',
  page_count integer NOT NULL DEFAULT -1,
  created_at bigint NOT NULL,
  UNIQUE (user_id, sha256)
);

CREATE TABLE jobs (
  id               text COLLATE "C" PRIMARY KEY,
  document_id      text COLLATE "C" NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
  user_id          text COLLATE "C" NOT NULL,
  status           text NOT NULL,
  state            text NOT NULL,
  retry_count      integer NOT NULL DEFAULT 0,
  last_error       text,
  correlation_id   text NOT NULL,
  service_mode     text NOT NULL DEFAULT '',
  claimed_by       text NOT NULL DEFAULT '',
  lease_expires_at bigint NOT NULL DEFAULT 0,
  retry_at         bigint NOT NULL DEFAULT 0,
  stage_pct        integer NOT NULL DEFAULT 0,
  timings          text NOT NULL DEFAULT '{}',
  created_at       bigint NOT NULL,
  updated_at       bigint NOT NULL
);
CREATE INDEX jobs_by_user ON jobs (user_id, created_at, id);
CREATE INDEX jobs_by_document ON jobs (document_id, created_at);

CREATE TABLE chunks (
  id           text COLLATE "C" PRIMARY KEY,
  document_id  text COLLATE "C" NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
  ord          integer NOT NULL,
  text         text NOT NULL,
  heading_path text NOT NULL DEFAULT '',
  token_count  integer NOT NULL,
  char_start   bigint NOT NULL,
  char_end     bigint NOT NULL,
  UNIQUE (document_id, ord)
);

CREATE TABLE vectors (
  chunk_id    text COLLATE "C" NOT NULL REFERENCES chunks (id) ON DELETE CASCADE,
  model       text COLLATE "C" NOT NULL,
  document_id text COLLATE "C" NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
  dims        integer NOT NULL,
  data        bytea NOT NULL,
  PRIMARY KEY (chunk_id, model)
);
CREATE INDEX vectors_by_document ON vectors (document_id);

-- No foreign key to jobs: events may outlive a job's row or belong to no job (budget
-- alerts); DeleteDocument removes a document's events explicitly.
CREATE TABLE events (
  id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  job_id         text COLLATE "C" NOT NULL,
  correlation_id text NOT NULL,
  type           text NOT NULL,
  code           text NOT NULL,
  stage          text NOT NULL DEFAULT '',
  payload        text NOT NULL DEFAULT '{}',
  at             bigint NOT NULL
);
CREATE INDEX events_by_job ON events (job_id, id);
)sql";

// v2: one partial index per claim branch (see kClaimNext): a backlog of live leases or of
// not-yet-due retries costs the claim nothing, and finished jobs are in no claim index.
constexpr char kV2ClaimIndexes[] = R"sql(
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
// head (see kClaimNext). Booleans are 0/1 integers, as in SQLite, so one row codec reads
// both; JSON columns are text like timings.
constexpr char kV4JobCostAndPriority[] = R"sql(
ALTER TABLE jobs ADD COLUMN processing_priority integer NOT NULL DEFAULT 0,
  ADD COLUMN router_config text NOT NULL DEFAULT '{}',
  ADD COLUMN cost_estimate text NOT NULL DEFAULT '{}',
  ADD COLUMN service_health_status text NOT NULL DEFAULT '{}',
  ADD COLUMN cost_tracking_enabled smallint NOT NULL DEFAULT 0,
  ADD COLUMN fallback_triggered smallint NOT NULL DEFAULT 0,
  ADD COLUMN actual_cost_parse_nanos bigint NOT NULL DEFAULT 0,
  ADD COLUMN actual_cost_embed_nanos bigint NOT NULL DEFAULT 0,
  ADD COLUMN stage_routes text NOT NULL DEFAULT '{}';
DROP INDEX jobs_claim_queued;
CREATE INDEX jobs_claim_queued ON jobs (processing_priority DESC, created_at, id)
  WHERE state = 'queued' AND status <> 'awaiting_upload';
)sql";

// v5: provider webhook deliveries, unique per (job, event id) so a retried delivery is
// recorded once (Store::RecordWebhookDelivery), and when a delivery last woke the job (the
// per-job rate limit on the polls deliveries cause).
constexpr char kV5WebhookDeliveries[] = R"sql(
CREATE TABLE webhook_deliveries (
  job_id      text NOT NULL,
  event_id    text NOT NULL,
  event_type  text NOT NULL,
  received_at bigint NOT NULL,
  PRIMARY KEY (job_id, event_id)
);
ALTER TABLE jobs ADD COLUMN webhook_woken_at bigint NOT NULL DEFAULT 0;
)sql";

// v7: completion callbacks (Store::ClaimCallbacks). job_callbacks holds an upload's
// callback URL; callback_outbox one row per job end to announce, written in the job's final
// transaction and removed once delivered or given up. Both go with their job.
constexpr char kV7CallbackOutbox[] = R"sql(
CREATE TABLE job_callbacks (
  job_id text COLLATE "C" PRIMARY KEY REFERENCES jobs (id) ON DELETE CASCADE,
  url    text NOT NULL
);
CREATE TABLE callback_outbox (
  id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  job_id           text COLLATE "C" NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
  user_id          text COLLATE "C" NOT NULL,
  correlation_id   text NOT NULL,
  type             text NOT NULL,
  url              text NOT NULL,
  body             text NOT NULL DEFAULT '',
  attempts         integer NOT NULL DEFAULT 0,
  next_attempt_at  bigint NOT NULL,
  claimed_by       text NOT NULL DEFAULT '',
  lease_expires_at bigint NOT NULL DEFAULT 0,
  created_at       bigint NOT NULL
);
CREATE INDEX callback_outbox_due ON callback_outbox (next_attempt_at);
CREATE INDEX callback_outbox_by_job ON callback_outbox (job_id);
)sql";

// Runs fn inside one transaction holding the migration lock.
template <typename F>
Status Locked(PgConn& conn, F&& fn) {
  if (Status s = conn.Exec("BEGIN"); !s.ok()) return s;
  Result<PgResult> lock = conn.Query(kLock, PgParams().Add(kMigrationLockKey));
  Status s = lock.ok() ? fn() : lock.status();
  if (s.ok()) s = conn.Exec("COMMIT");
  if (!s.ok()) conn.Exec("ROLLBACK");
  return s;
}

Status ApplyOne(PgConn& conn, const Migration& m) {
  bool applied_now = false;
  Status s = Locked(conn, [&]() -> Status {
    Result<PgResult> check = conn.Query(kIsApplied, PgParams().Add(m.version));
    if (!check.ok()) return check.status();
    if (check->rows() > 0) return Status();  // another process was first
    if (Status e = conn.Exec(m.sql); !e.ok()) return e;
    Result<PgResult> record = conn.Query(kRecordApplied, PgParams().Add(m.version).Add(m.name));
    if (!record.ok()) return record.status();
    applied_now = true;
    return Status();
  });
  if (s.ok() && applied_now) {
    log::Info("schema migration applied", {{"version", m.version}, {"name", m.name}});
  }
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
      {7, "callback_outbox", kV7CallbackOutbox},
  };
  return kAll;
}

Status ApplyMigrations(PgConn& conn) {
  // CREATE TABLE IF NOT EXISTS alone races (two creators collide in the catalog): lock.
  Status s = Locked(conn, [&] { return conn.Exec(kCreateMigrationsTable); });
  for (const Migration& m : Migrations()) {
    if (!s.ok()) return s;
    s = ApplyOne(conn, m);
  }
  return s;
}

}  // namespace ingestd::pg
