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

// v6: retrieval (Store::KeywordSearch and the change feeds).
// - change_seq: the store-wide change sequence; chunks.seq and vectors.seq hold the value
//   of their last write, the tombstone tables one per removed row. SQLite has one writer at
//   a time, so values are visible in the order they were taken.
// - chunks_fts: FTS5 over chunk text, external content (the text is not stored twice),
//   its rowid the chunk's seq (chunks have no stable integer key of their own: VACUUM may
//   renumber an implicit rowid).
// - Triggers keep both in the transaction of every chunk and vector write, whichever
//   statement makes it (stage commits, ReplaceDocumentVectors, DeleteDocument). A vector
//   upsert's DO UPDATE fires vectors_seq_update; the seq UPDATEs inside the triggers change
//   no column those triggers watch.
// - Existing rows: chunks take seq = rowid, vectors the values after, and the index is
//   rebuilt from them.
constexpr char kV6Retrieval[] = R"sql(
CREATE TABLE change_seq (
  id    INTEGER PRIMARY KEY CHECK (id = 1),
  value INTEGER NOT NULL
);
ALTER TABLE chunks ADD COLUMN seq INTEGER NOT NULL DEFAULT 0;
ALTER TABLE vectors ADD COLUMN seq INTEGER NOT NULL DEFAULT 0;
UPDATE chunks SET seq = rowid;
INSERT INTO change_seq (id, value) VALUES (1, (SELECT coalesce(max(seq), 0) FROM chunks));
UPDATE vectors SET seq = r.n + (SELECT value FROM change_seq)
  FROM (SELECT chunk_id, model, row_number() OVER (ORDER BY chunk_id, model) AS n
        FROM vectors) AS r
  WHERE vectors.chunk_id = r.chunk_id AND vectors.model = r.model;
UPDATE change_seq SET value = value + (SELECT count(*) FROM vectors);
CREATE INDEX chunks_by_seq ON chunks (seq);
CREATE INDEX vectors_by_seq ON vectors (seq);

CREATE TABLE chunk_tombstones (
  seq         INTEGER PRIMARY KEY,
  chunk_id    TEXT NOT NULL,
  document_id TEXT NOT NULL,
  user_id     TEXT NOT NULL
);
CREATE INDEX chunk_tombstones_by_user ON chunk_tombstones (user_id, seq);
CREATE TABLE vector_tombstones (
  seq         INTEGER PRIMARY KEY,
  chunk_id    TEXT NOT NULL,
  model       TEXT NOT NULL,
  document_id TEXT NOT NULL,
  user_id     TEXT NOT NULL
);

CREATE VIRTUAL TABLE chunks_fts USING fts5(
  text, content='chunks', content_rowid='seq', tokenize='unicode61 remove_diacritics 2');
INSERT INTO chunks_fts (chunks_fts) VALUES ('rebuild');

CREATE TRIGGER chunks_seq_insert AFTER INSERT ON chunks BEGIN
  UPDATE change_seq SET value = value + 1;
  UPDATE chunks SET seq = (SELECT value FROM change_seq) WHERE rowid = NEW.rowid;
  INSERT INTO chunks_fts (rowid, text) VALUES ((SELECT value FROM change_seq), NEW.text);
END;
CREATE TRIGGER chunks_seq_delete AFTER DELETE ON chunks BEGIN
  INSERT INTO chunks_fts (chunks_fts, rowid, text) VALUES ('delete', OLD.seq, OLD.text);
  UPDATE change_seq SET value = value + 1;
  INSERT INTO chunk_tombstones (seq, chunk_id, document_id, user_id)
    VALUES ((SELECT value FROM change_seq), OLD.id, OLD.document_id,
            coalesce((SELECT user_id FROM documents WHERE id = OLD.document_id), ''));
END;
CREATE TRIGGER vectors_seq_insert AFTER INSERT ON vectors BEGIN
  UPDATE change_seq SET value = value + 1;
  UPDATE vectors SET seq = (SELECT value FROM change_seq)
    WHERE chunk_id = NEW.chunk_id AND model = NEW.model;
END;
CREATE TRIGGER vectors_seq_update AFTER UPDATE OF document_id, dims, data ON vectors BEGIN
  UPDATE change_seq SET value = value + 1;
  UPDATE vectors SET seq = (SELECT value FROM change_seq)
    WHERE chunk_id = NEW.chunk_id AND model = NEW.model;
END;
CREATE TRIGGER vectors_seq_delete AFTER DELETE ON vectors BEGIN
  UPDATE change_seq SET value = value + 1;
  INSERT INTO vector_tombstones (seq, chunk_id, model, document_id, user_id)
    VALUES ((SELECT value FROM change_seq), OLD.chunk_id, OLD.model, OLD.document_id,
            coalesce((SELECT user_id FROM documents WHERE id = OLD.document_id), ''));
END;
)sql";

// v7: completion callbacks (Store::ClaimCallbacks). job_callbacks holds an upload's
// callback URL; callback_outbox one row per job end to announce, written in the job's final
// transaction and removed once delivered or given up. Both go with their job.
constexpr char kV7CallbackOutbox[] = R"sql(
CREATE TABLE job_callbacks (
  job_id TEXT PRIMARY KEY REFERENCES jobs (id) ON DELETE CASCADE,
  url    TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE callback_outbox (
  id               INTEGER PRIMARY KEY AUTOINCREMENT,
  job_id           TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
  user_id          TEXT NOT NULL,
  correlation_id   TEXT NOT NULL,
  type             TEXT NOT NULL,
  url              TEXT NOT NULL,
  body             TEXT NOT NULL DEFAULT '',
  attempts         INTEGER NOT NULL DEFAULT 0,
  next_attempt_at  INTEGER NOT NULL,
  claimed_by       TEXT NOT NULL DEFAULT '',
  lease_expires_at INTEGER NOT NULL DEFAULT 0,
  created_at       INTEGER NOT NULL
);
CREATE INDEX callback_outbox_due ON callback_outbox (next_attempt_at);
CREATE INDEX callback_outbox_by_job ON callback_outbox (job_id);
)sql";

// v8: a chunk's user, copied from its document by the insert trigger, so a user's chunk
// change feed (ListChunkChanges, export) walks (user_id, seq) in order instead of sorting
// all of the user's chunks for every page.
constexpr char kV8ChunkUser[] = R"sql(
ALTER TABLE chunks ADD COLUMN user_id TEXT NOT NULL DEFAULT '';
UPDATE chunks SET user_id = coalesce((SELECT user_id FROM documents WHERE id = chunks.document_id), '');
CREATE INDEX chunks_by_user_seq ON chunks (user_id, seq);
DROP TRIGGER chunks_seq_insert;
CREATE TRIGGER chunks_seq_insert AFTER INSERT ON chunks BEGIN
  UPDATE change_seq SET value = value + 1;
  UPDATE chunks SET seq = (SELECT value FROM change_seq),
    user_id = coalesce((SELECT user_id FROM documents WHERE id = NEW.document_id), '')
    WHERE rowid = NEW.rowid;
  INSERT INTO chunks_fts (rowid, text) VALUES ((SELECT value FROM change_seq), NEW.text);
END;
)sql";

// v9: v6's vector seq triggers rewrote every vector row they had just written (a second
// write of its whole blob: +60 ms per 500 1536-d vectors). Writes that set seq to the
// counter's next value themselves (kUpsertVector) now only move the counter; any other
// write still gets its seq from the trigger.
constexpr char kV9VectorSeqInStatement[] = R"sql(
DROP TRIGGER vectors_seq_insert;
DROP TRIGGER vectors_seq_update;
CREATE TRIGGER vectors_seq_insert AFTER INSERT ON vectors BEGIN
  UPDATE vectors SET seq = (SELECT value FROM change_seq) + 1
    WHERE chunk_id = NEW.chunk_id AND model = NEW.model
    AND NEW.seq <> (SELECT value FROM change_seq) + 1;
  UPDATE change_seq SET value = value + 1;
END;
CREATE TRIGGER vectors_seq_update AFTER UPDATE OF document_id, dims, data ON vectors BEGIN
  UPDATE vectors SET seq = (SELECT value FROM change_seq) + 1
    WHERE chunk_id = NEW.chunk_id AND model = NEW.model
    AND NEW.seq <> (SELECT value FROM change_seq) + 1;
  UPDATE change_seq SET value = value + 1;
END;
)sql";

// v10: nothing to change here; PostgreSQL's v10 makes its index split words as unicode61
// does. Kept so that the two backends' versions stay the same.
constexpr char kV10SearchText[] = "SELECT 1";

// v11: the embedding cache (Store::FindCachedVectors) as an index over the vectors: the
// hash of the text each vector embeds (NULL once evicted, or when written without one), its
// tokens, whether it was a cache hit and what that saved, and when it was written (its last
// use). Partial indexes: the lookup, the eviction order, the savings by time.
constexpr char kV11EmbedCache[] = R"sql(
ALTER TABLE vectors ADD COLUMN text_sha256 TEXT;
ALTER TABLE vectors ADD COLUMN tokens INTEGER NOT NULL DEFAULT 0;
ALTER TABLE vectors ADD COLUMN cache_hit INTEGER NOT NULL DEFAULT 0;
ALTER TABLE vectors ADD COLUMN saved_nanos INTEGER NOT NULL DEFAULT 0;
ALTER TABLE vectors ADD COLUMN written_at INTEGER NOT NULL DEFAULT 0;
CREATE INDEX vectors_cache_lookup ON vectors (model, text_sha256) WHERE text_sha256 IS NOT NULL;
CREATE INDEX vectors_cache_lru ON vectors (written_at) WHERE text_sha256 IS NOT NULL;
CREATE INDEX vectors_cache_hits ON vectors (written_at) WHERE cache_hit = 1;
)sql";

// v12: the trace context a job's stages continue (core/model.h Job::traceparent).
constexpr char kV12JobTrace[] = R"sql(
ALTER TABLE jobs ADD COLUMN traceparent TEXT NOT NULL DEFAULT '';
ALTER TABLE jobs ADD COLUMN tracestate TEXT NOT NULL DEFAULT '';
)sql";

// v13: one-time sign-in codes (Store::RedeemSigninCode), kept as their SHA-256 only.
constexpr char kV13SigninCodes[] = R"sql(
CREATE TABLE signin_codes (
  code_hash  TEXT PRIMARY KEY,
  user_id    TEXT NOT NULL,
  role       TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  used_at    INTEGER
);
CREATE INDEX signin_codes_by_expiry ON signin_codes (expires_at);
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
      {6, "retrieval", kV6Retrieval},
      {7, "callback_outbox", kV7CallbackOutbox},
      {8, "chunk_user", kV8ChunkUser},
      {9, "vector_seq_in_statement", kV9VectorSeqInStatement},
      {10, "search_text", kV10SearchText},
      {11, "embed_cache", kV11EmbedCache},
      {12, "job_trace", kV12JobTrace},
      {13, "signin_codes", kV13SigninCodes},
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
