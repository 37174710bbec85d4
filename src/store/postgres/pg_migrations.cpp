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

// v6: retrieval (Store::KeywordSearch and the change feeds).
// - Keyword index: chunks.tsv, generated from the text ('simple' config: no stemming and no
//   stop words, like SQLite's unicode61; diacritics removed by unaccent, a trusted contrib
//   extension) with a GIN index. ingestd_fold names unaccent by its schema, so the
//   immutable wrapper does not depend on the search_path it is called under.
// - Change sequence: ingestd_change_seq, taken only through ingestd_next_seq(), which first
//   takes a transaction-scoped advisory lock ("ingestd+"). Writers that take values thus run
//   one at a time from their first chunk/vector write to their COMMIT, and PostgreSQL makes
//   a commit visible before it releases the lock: a reader that sees value n sees every
//   value below n that committed, so paging by after_seq never skips a row that commits
//   late. (A plain sequence would not do: a value taken by a transaction that commits after
//   a later one is invisible when a reader pages past it.) The cost: chunk and vector
//   writes of all processes are serialized for the length of their transaction's tail.
// - Triggers set seq on every insert (and a vector's in-place replacement) and write the
//   tombstones, in the writing transaction; a statement trigger NOTIFYs ingestd_vectors.
// - Existing rows: the column and index are computed by the ALTER; seqs are taken in id order.
constexpr char kV6Retrieval[] = R"sql(
CREATE EXTENSION IF NOT EXISTS unaccent;
DO $$
DECLARE s text;
BEGIN
  SELECT n.nspname INTO s FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
    WHERE e.extname = 'unaccent';
  EXECUTE format(
    'CREATE FUNCTION ingestd_fold(text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT'
    ' AS %L', format('SELECT %I.unaccent(%L::regdictionary, $1)', s, quote_ident(s) || '.unaccent'));
END $$;
ALTER TABLE chunks ADD COLUMN tsv tsvector
  GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, ingestd_fold(text))) STORED;
CREATE INDEX chunks_tsv ON chunks USING gin (tsv);

CREATE SEQUENCE ingestd_change_seq AS bigint;
ALTER TABLE chunks ADD COLUMN seq bigint;
ALTER TABLE vectors ADD COLUMN seq bigint;
UPDATE chunks SET seq = n.s FROM (SELECT id, nextval('ingestd_change_seq') AS s
  FROM (SELECT id FROM chunks ORDER BY id) o) n WHERE chunks.id = n.id;
UPDATE vectors SET seq = n.s FROM (SELECT chunk_id, model, nextval('ingestd_change_seq') AS s
  FROM (SELECT chunk_id, model FROM vectors ORDER BY chunk_id, model) o) n
  WHERE vectors.chunk_id = n.chunk_id AND vectors.model = n.model;
ALTER TABLE chunks ALTER COLUMN seq SET NOT NULL;
ALTER TABLE vectors ALTER COLUMN seq SET NOT NULL;
CREATE INDEX chunks_by_seq ON chunks (seq);
CREATE INDEX vectors_by_seq ON vectors (seq);

CREATE TABLE chunk_tombstones (
  seq         bigint PRIMARY KEY,
  chunk_id    text COLLATE "C" NOT NULL,
  document_id text COLLATE "C" NOT NULL,
  user_id     text COLLATE "C" NOT NULL
);
CREATE INDEX chunk_tombstones_by_user ON chunk_tombstones (user_id, seq);
CREATE TABLE vector_tombstones (
  seq         bigint PRIMARY KEY,
  chunk_id    text COLLATE "C" NOT NULL,
  model       text COLLATE "C" NOT NULL,
  document_id text COLLATE "C" NOT NULL,
  user_id     text COLLATE "C" NOT NULL
);

CREATE FUNCTION ingestd_next_seq() RETURNS bigint LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_advisory_xact_lock(7597123306846970923);  -- "ingestd+"
  RETURN nextval('ingestd_change_seq');
END $$;
CREATE FUNCTION ingestd_set_seq() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.seq := ingestd_next_seq();
  RETURN NEW;
END $$;
CREATE FUNCTION ingestd_chunk_tombstone() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO chunk_tombstones (seq, chunk_id, document_id, user_id)
    VALUES (ingestd_next_seq(), OLD.id, OLD.document_id,
            coalesce((SELECT user_id FROM documents WHERE id = OLD.document_id), ''));
  RETURN NULL;
END $$;
CREATE FUNCTION ingestd_vector_tombstone() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO vector_tombstones (seq, chunk_id, model, document_id, user_id)
    VALUES (ingestd_next_seq(), OLD.chunk_id, OLD.model, OLD.document_id,
            coalesce((SELECT user_id FROM documents WHERE id = OLD.document_id), ''));
  RETURN NULL;
END $$;
CREATE FUNCTION ingestd_notify_vectors() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('ingestd_vectors', '');
  RETURN NULL;
END $$;
CREATE TRIGGER chunks_seq BEFORE INSERT ON chunks
  FOR EACH ROW EXECUTE FUNCTION ingestd_set_seq();
CREATE TRIGGER chunks_tombstone AFTER DELETE ON chunks
  FOR EACH ROW EXECUTE FUNCTION ingestd_chunk_tombstone();
CREATE TRIGGER vectors_seq BEFORE INSERT OR UPDATE OF document_id, dims, data ON vectors
  FOR EACH ROW EXECUTE FUNCTION ingestd_set_seq();
CREATE TRIGGER vectors_tombstone AFTER DELETE ON vectors
  FOR EACH ROW EXECUTE FUNCTION ingestd_vector_tombstone();
CREATE TRIGGER vectors_notify AFTER INSERT OR UPDATE OR DELETE ON vectors
  FOR EACH STATEMENT EXECUTE FUNCTION ingestd_notify_vectors();
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

// v8: a chunk's user, copied from its document by the insert trigger, so a user's chunk
// change feed (ListChunkChanges, export) walks (user_id, seq) in order instead of sorting
// all of the user's chunks for every page.
constexpr char kV8ChunkUser[] = R"sql(
ALTER TABLE chunks ADD COLUMN user_id text COLLATE "C" NOT NULL DEFAULT '';
UPDATE chunks c SET user_id = d.user_id FROM documents d WHERE d.id = c.document_id;
CREATE INDEX chunks_by_user_seq ON chunks (user_id, seq);
CREATE FUNCTION ingestd_chunk_user() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.user_id := coalesce((SELECT user_id FROM documents WHERE id = NEW.document_id), '');
  RETURN NEW;
END $$;
CREATE TRIGGER chunks_user BEFORE INSERT ON chunks
  FOR EACH ROW EXECUTE FUNCTION ingestd_chunk_user();
)sql";

// v9: nothing to change here. SQLite's v9 stops its seq triggers from rewriting each vector
// row; PostgreSQL's BEFORE trigger sets NEW.seq before the one write. Kept so that the two
// backends' versions stay the same.
constexpr char kV9VectorSeqInStatement[] = "SELECT 1";

// v10: the index splits words as SQLite's unicode61 and the query side (keyword_query.h)
// do: ASCII punctuation separates, also what unaccent makes of non-ASCII punctuation ("«"
// becomes "<<"). The default parser alone read "<<naivete>>" as a tag, which it never
// indexes, and "3.14", "a@b.com" or "a/b" as single lexemes no query word can match.
constexpr char kV10SearchText[] = R"sql(
CREATE FUNCTION ingestd_search_text(text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE
  STRICT AS $$ SELECT translate(ingestd_fold($1), '!"#$%&''()*+,-./:;<=>?@[\]^_`{|}~',
                                repeat(' ', 32)) $$;
ALTER TABLE chunks DROP COLUMN tsv;
ALTER TABLE chunks ADD COLUMN tsv tsvector
  GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, ingestd_search_text(text))) STORED;
CREATE INDEX chunks_tsv ON chunks USING gin (tsv);
)sql";

// v11: the embedding cache (Store::FindCachedVectors) as an index over the vectors: the
// hash of the text each vector embeds (NULL once evicted, or when written without one), its
// tokens, whether it was a cache hit and what that saved, and when it was written (its last
// use). Partial indexes: the lookup, the eviction order, the savings by time. An eviction
// changes no vector, so it wakes no search index: vectors_notify now fires only on the
// columns vectors_seq watches.
constexpr char kV11EmbedCache[] = R"sql(
ALTER TABLE vectors ADD COLUMN text_sha256 text COLLATE "C";
ALTER TABLE vectors ADD COLUMN tokens bigint NOT NULL DEFAULT 0;
ALTER TABLE vectors ADD COLUMN cache_hit integer NOT NULL DEFAULT 0;
ALTER TABLE vectors ADD COLUMN saved_nanos bigint NOT NULL DEFAULT 0;
ALTER TABLE vectors ADD COLUMN written_at bigint NOT NULL DEFAULT 0;
CREATE INDEX vectors_cache_lookup ON vectors (model, text_sha256) WHERE text_sha256 IS NOT NULL;
CREATE INDEX vectors_cache_lru ON vectors (written_at) WHERE text_sha256 IS NOT NULL;
CREATE INDEX vectors_cache_hits ON vectors (written_at) WHERE cache_hit = 1;
DROP TRIGGER vectors_notify ON vectors;
CREATE TRIGGER vectors_notify AFTER INSERT OR UPDATE OF document_id, dims, data OR DELETE
  ON vectors FOR EACH STATEMENT EXECUTE FUNCTION ingestd_notify_vectors();
)sql";

// v12: the trace context a job's stages continue (core/model.h Job::traceparent).
constexpr char kV12JobTrace[] = R"sql(
ALTER TABLE jobs
  ADD COLUMN traceparent text NOT NULL DEFAULT '',
  ADD COLUMN tracestate text NOT NULL DEFAULT '';
)sql";

// v13: one-time sign-in codes (Store::RedeemSigninCode), kept as their SHA-256 only.
constexpr char kV13SigninCodes[] = R"sql(
CREATE TABLE signin_codes (
  code_hash  text COLLATE "C" PRIMARY KEY,
  user_id    text COLLATE "C" NOT NULL,
  role       text NOT NULL,
  created_at bigint NOT NULL,
  expires_at bigint NOT NULL,
  used_at    bigint
);
CREATE INDEX signin_codes_by_expiry ON signin_codes (expires_at);
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
