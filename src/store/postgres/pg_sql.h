// Every SQL statement of the PostgreSQL store, as named constants. Connections prepare each
// once, keyed by its address, so they are inline (one address per program).
//
// Column lists are shared with the row readers in pg_rows.h: change both together. State
// literals must equal core/model.h ToString(QueueState) and match the partial claim
// indexes (pg_migrations.cpp, v2) word for word. Parameters are text; the casts tell the
// server their types where the statement alone does not.
#pragma once

namespace ingestd::pg::sql {

#define INGESTD_JOB_COLUMNS                                                                \
  "id, document_id, user_id, status, state, retry_count, last_error, correlation_id, "     \
  "service_mode, claimed_by, lease_expires_at, retry_at, stage_pct, timings, created_at, " \
  "updated_at, processing_priority, router_config, cost_estimate, service_health_status, " \
  "cost_tracking_enabled, fallback_triggered, actual_cost_parse_nanos, "                   \
  "actual_cost_embed_nanos, stage_routes, traceparent, tracestate"
#define INGESTD_DOCUMENT_COLUMNS \
  "id, user_id, filename, mime, size_bytes, sha256, blob_key, page_count, created_at"
#define INGESTD_CHUNK_COLUMNS                                                                 \
  "id, document_id, ord, text, heading_path, token_count, char_start, char_end, page_start, " \
  "page_end"
#define INGESTD_EVENT_COLUMNS "id, job_id, correlation_id, type, code, stage, payload, at"

// The NOTIFY channel that wakes idle workers (PgListener).
inline constexpr char kJobsChannel[] = "ingestd_jobs";
// Delivered at COMMIT, and only then: a rolled-back upload wakes nobody.
inline constexpr char kNotifyJobQueued[] = "SELECT pg_notify('ingestd_jobs', '')";

// ---- documents ----
// ON CONFLICT: of concurrent identical uploads (any process) one inserts; the others wait
// for it to commit, insert nothing and then read its row (kSelectDocumentByHash).
inline constexpr char kInsertDocument[] =
    "INSERT INTO documents (" INGESTD_DOCUMENT_COLUMNS
    ") VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9) ON CONFLICT (user_id, sha256) DO NOTHING";
inline constexpr char kSelectDocument[] =
    "SELECT " INGESTD_DOCUMENT_COLUMNS " FROM documents WHERE id = $1";
inline constexpr char kSelectDocumentScoped[] =
    "SELECT " INGESTD_DOCUMENT_COLUMNS " FROM documents WHERE id = $1 AND user_id = $2";
inline constexpr char kSelectDocumentByHash[] =
    "SELECT " INGESTD_DOCUMENT_COLUMNS " FROM documents WHERE user_id = $1 AND sha256 = $2";
inline constexpr char kLockDocument[] = "SELECT id FROM documents WHERE id = $1 FOR UPDATE";
inline constexpr char kSetDocumentBlobKey[] = "UPDATE documents SET blob_key = $2 WHERE id = $1";
inline constexpr char kSetPageCount[] =
    "UPDATE documents SET page_count = $2::integer WHERE id = $1";
inline constexpr char kDeleteDocument[] = "DELETE FROM documents WHERE id = $1";

// ---- jobs ----
inline constexpr char kInsertJob[] =
    "INSERT INTO jobs (" INGESTD_JOB_COLUMNS
    ") VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20,$21,"
    "$22,$23,$24,$25,$26,$27)";
inline constexpr char kSelectJob[] = "SELECT " INGESTD_JOB_COLUMNS " FROM jobs WHERE id = $1";
inline constexpr char kSelectJobScoped[] =
    "SELECT " INGESTD_JOB_COLUMNS " FROM jobs WHERE id = $1 AND user_id = $2";
// Lock order of every transaction that touches a job: the jobs row first, then its
// document, then chunks/vectors/events. Taking the same order everywhere means writers
// queue instead of deadlocking.
inline constexpr char kLockJob[] =
    "SELECT " INGESTD_JOB_COLUMNS " FROM jobs WHERE id = $1 FOR UPDATE";
inline constexpr char kLockJobScoped[] =
    "SELECT " INGESTD_JOB_COLUMNS " FROM jobs WHERE id = $1 AND user_id = $2 FOR UPDATE";
inline constexpr char kLockDocumentJobs[] =
    "SELECT id FROM jobs WHERE document_id = $1 ORDER BY id FOR UPDATE";
inline constexpr char kSelectNewestJobForDocument[] =
    "SELECT " INGESTD_JOB_COLUMNS
    " FROM jobs WHERE document_id = $1 ORDER BY created_at DESC, id DESC LIMIT 1";
// $2/$3 are NULL when the filter is unset.
inline constexpr char kListJobs[] =
    "SELECT " INGESTD_JOB_COLUMNS
    " FROM jobs WHERE user_id = $1 AND ($2::text IS NULL OR state = $2)"
    " AND ($3::text IS NULL OR status = $3)"
    " ORDER BY created_at DESC, id DESC LIMIT $4::bigint OFFSET $5::bigint";
inline constexpr char kMarkUploaded[] =
    "UPDATE jobs SET status = $2, state = 'queued', updated_at = $3::bigint WHERE id = $1";
inline constexpr char kDeleteDocumentJobs[] = "DELETE FROM jobs WHERE document_id = $1";
inline constexpr char kRequeueJob[] =
    "UPDATE jobs SET state = 'queued', retry_count = 0, retry_at = 0, last_error = NULL,"
    " claimed_by = '', lease_expires_at = 0, updated_at = $2::bigint WHERE id = $1"
    " RETURNING " INGESTD_JOB_COLUMNS;

// Claimable: queued (and its bytes have arrived), retryable and due, or working with an
// expired lease. Each branch takes the head of its own partial index (migrations v2, v4:
// the queued one leads with the priority), skipping rows other claimers hold (SKIP LOCKED:
// claimers never wait on each other); of the (at most three) heads the highest
// processing_priority wins, then the oldest. One statement, so two workers never get the
// same job. Taking over an expired lease uses up an attempt: the worker holding it died in
// the stage (crash, OOM, SIGKILL), and a document that kills its worker must not do so
// forever. Returns the job's columns, then the worker that lost the lease ('' when none).
// $1 worker, $2 now, $3 lease_ms.
#define INGESTD_CLAIM_ORDER " ORDER BY processing_priority DESC, created_at, id LIMIT 1"
#define INGESTD_CLAIM_HEAD(name, where)                                          \
  " " name                                                                       \
  " AS (SELECT id, processing_priority, created_at, state, claimed_by FROM jobs" \
  "   WHERE " where INGESTD_CLAIM_ORDER " FOR UPDATE SKIP LOCKED)"
inline constexpr char kClaimNext[] =
    "WITH" INGESTD_CLAIM_HEAD("q", "state = 'queued' AND status <> 'awaiting_upload'") ","
    INGESTD_CLAIM_HEAD("r", "state = 'retryable' AND retry_at <= $2::bigint") ","
    INGESTD_CLAIM_HEAD("l", "state = 'working' AND lease_expires_at < $2::bigint") ","
    " pick AS (SELECT id AS pick_id, state = 'working' AS pick_reclaimed,"
    "   claimed_by AS pick_lost_worker FROM (SELECT * FROM q UNION ALL SELECT * FROM r"
    "   UNION ALL SELECT * FROM l) heads" INGESTD_CLAIM_ORDER ")"
    " UPDATE jobs SET state = 'working', claimed_by = $1,"
    "   lease_expires_at = $2::bigint + $3::bigint, updated_at = $2::bigint,"
    "   retry_count = retry_count + (CASE WHEN pick_reclaimed THEN 1 ELSE 0 END)"
    " FROM pick WHERE id = pick_id"
    " RETURNING " INGESTD_JOB_COLUMNS
    ", CASE WHEN pick_reclaimed THEN pick_lost_worker ELSE '' END";
#undef INGESTD_CLAIM_HEAD
#undef INGESTD_CLAIM_ORDER

// One routed call (Store::RecordRoute), one statement: under READ COMMITTED a concurrent
// update of the row makes this one re-read it before applying, so no increment is lost.
// $1 job, $2 service (parse|embed), $3 mode, $4 implementation, $5 reason, $6 fallback
// (0/1), $7 cost nanos, $8 now.
#define INGESTD_ROUTE_FIELD(key) "(stage_routes::jsonb #> ARRAY[$2::text, '" key "'])"
inline constexpr char kRecordRoute[] =
    "UPDATE jobs SET"
    " actual_cost_parse_nanos = actual_cost_parse_nanos"
    "   + (CASE WHEN $2::text = 'parse' THEN $7::bigint ELSE 0 END),"
    " actual_cost_embed_nanos = actual_cost_embed_nanos"
    "   + (CASE WHEN $2::text = 'embed' THEN $7::bigint ELSE 0 END),"
    " fallback_triggered = GREATEST(fallback_triggered, $6::smallint),"
    " stage_routes = jsonb_set(stage_routes::jsonb, ARRAY[$2::text], jsonb_build_object("
    "   'mode', $3::text, 'implementation', $4::text, 'reason', $5::text,"
    "   'calls', coalesce(" INGESTD_ROUTE_FIELD("calls") "::bigint, 0) + 1,"
    "   'fallback_calls', coalesce(" INGESTD_ROUTE_FIELD("fallback_calls") "::bigint, 0)"
    "     + $6::smallint,"
    "   'fallback_reason', CASE WHEN $6::smallint = 1 THEN to_jsonb($5::text)"
    "     ELSE " INGESTD_ROUTE_FIELD("fallback_reason") " END))::text,"
    " updated_at = $8::bigint"
    " WHERE id = $1";
#undef INGESTD_ROUTE_FIELD

// Worker-side statements: all guarded by the lease ($1 job, $2 worker).
#define INGESTD_LEASE_HELD " WHERE id = $1 AND state = 'working' AND claimed_by = $2"
inline constexpr char kLockLeasedJob[] =
    "SELECT " INGESTD_JOB_COLUMNS " FROM jobs" INGESTD_LEASE_HELD " FOR UPDATE";
inline constexpr char kExtendLease[] =
    "UPDATE jobs SET lease_expires_at = $3::bigint" INGESTD_LEASE_HELD;
// $3 status, $4 next state, $5 stage_pct, $6 timings, $7 now. The claim stays only when
// the job goes on working.
inline constexpr char kFinishStage[] =
    "UPDATE jobs SET status = $3, state = $4::text, stage_pct = $5::integer, timings = $6,"
    " updated_at = $7::bigint,"
    " retry_at = CASE WHEN $4::text = 'retryable' THEN $8::bigint ELSE retry_at END,"
    " claimed_by = CASE WHEN $4::text = 'working' THEN claimed_by ELSE '' END,"
    " lease_expires_at = CASE WHEN $4::text = 'working' THEN lease_expires_at ELSE 0 "
    "END" INGESTD_LEASE_HELD;
// $3 retry_at, $4 last_error, $5 now, $6 1 when the retry uses up an attempt (else 0).
inline constexpr char kScheduleRetry[] =
    "UPDATE jobs SET state = 'retryable', retry_count = retry_count + $6::integer,"
    " retry_at = $3::bigint, last_error = $4, claimed_by = '', lease_expires_at = 0,"
    " updated_at = $5::bigint" INGESTD_LEASE_HELD;
// $3 last_error, $4 now.
inline constexpr char kDeadLetter[] =
    "UPDATE jobs SET state = 'deadletter', last_error = $3, claimed_by = '',"
    " lease_expires_at = 0, updated_at = $4::bigint" INGESTD_LEASE_HELD;
// $3 now.
inline constexpr char kReleaseClaim[] =
    "UPDATE jobs SET state = 'queued', claimed_by = '', lease_expires_at = 0,"
    " updated_at = $3::bigint" INGESTD_LEASE_HELD;
#undef INGESTD_LEASE_HELD

// ---- chunks and vectors ----
inline constexpr char kInsertChunk[] =
    "INSERT INTO chunks (" INGESTD_CHUNK_COLUMNS ") VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)";
inline constexpr char kListChunks[] =
    "SELECT " INGESTD_CHUNK_COLUMNS
    " FROM chunks WHERE document_id = $1 ORDER BY ord LIMIT $2::bigint OFFSET $3::bigint";
inline constexpr char kAllChunks[] =
    "SELECT " INGESTD_CHUNK_COLUMNS " FROM chunks WHERE document_id = $1 ORDER BY ord";
inline constexpr char kCountChunks[] = "SELECT count(*) FROM chunks WHERE document_id = $1";
inline constexpr char kDeleteDocumentChunks[] = "DELETE FROM chunks WHERE document_id = $1";
inline constexpr char kUpsertVector[] =
    "INSERT INTO vectors (chunk_id, model, document_id, dims, data, text_sha256, tokens,"
    " cache_hit, saved_nanos, written_at)"
    " VALUES ($1,$2,$3,$4,$5,$6,$7::bigint,$8::integer,$9::bigint,$10::bigint)"
    " ON CONFLICT (chunk_id, model) DO UPDATE SET document_id = excluded.document_id,"
    " dims = excluded.dims, data = excluded.data, text_sha256 = excluded.text_sha256,"
    " tokens = excluded.tokens, cache_hit = excluded.cache_hit,"
    " saved_nanos = excluded.saved_nanos, written_at = excluded.written_at";
// Read with binary results: every column is text or bytea, whose binary form is the raw
// bytes, so the float32 data arrives without hex decoding.
inline constexpr char kGetVectors[] =
    "SELECT v.chunk_id, v.document_id, v.model, v.data FROM vectors v"
    " JOIN chunks c ON c.id = v.chunk_id WHERE v.document_id = $1 ORDER BY c.ord, v.model";
inline constexpr char kCountVectors[] = "SELECT count(*) FROM vectors WHERE document_id = $1";
inline constexpr char kDeleteDocumentVectors[] = "DELETE FROM vectors WHERE document_id = $1";

// ---- events ----
inline constexpr char kInsertEvent[] =
    "INSERT INTO events (job_id, correlation_id, type, code, stage, payload, at)"
    " VALUES ($1,$2,$3,$4,$5,$6,$7)";
inline constexpr char kListEvents[] =
    "SELECT " INGESTD_EVENT_COLUMNS " FROM events WHERE job_id = $1 ORDER BY id";
inline constexpr char kDeleteDocumentWebhooks[] =
    "DELETE FROM webhook_deliveries WHERE job_id IN (SELECT id FROM jobs WHERE document_id = $1)";
// Store::RecordWebhookDelivery. $1 job, $2 event id, $3 event type, $4 now.
inline constexpr char kInsertWebhookDelivery[] =
    "INSERT INTO webhook_deliveries (job_id, event_id, event_type, received_at)"
    " VALUES ($1, $2, $3, $4::bigint) ON CONFLICT DO NOTHING";
// The wake, rate-limited per job, one statement: under READ COMMITTED a concurrent delivery
// waits for this row and re-checks webhook_woken_at, so two never both wake. $1 job, $2 now,
// $3 min interval.
inline constexpr char kWakeForWebhook[] =
    "UPDATE jobs SET webhook_woken_at = $2::bigint,"
    " retry_at = CASE WHEN status = 'parse_submitted' AND state = 'retryable'"
    "   THEN LEAST(retry_at, $2::bigint) ELSE retry_at END WHERE id = $1"
    " AND status IN ('uploaded', 'parse_queued', 'parse_submitted')"
    " AND state NOT IN ('done', 'deadletter') AND webhook_woken_at <= $2::bigint - $3::bigint";
inline constexpr char kJobExists[] = "SELECT count(*) FROM jobs WHERE id = $1";
// Store::WakeParkedJob. $1 job, $2 status, $3 now.
inline constexpr char kWakeParkedJob[] =
    "UPDATE jobs SET retry_at = LEAST(retry_at, $3::bigint), updated_at = $3::bigint"
    " WHERE id = $1 AND status = $2 AND state = 'retryable'";
inline constexpr char kDeleteDocumentEvents[] =
    "DELETE FROM events WHERE job_id IN (SELECT id FROM jobs WHERE document_id = $1)";

inline constexpr char kPing[] = "SELECT 1";

// ---- listing (Store::ListDocuments, GetChunkVectors) ----
// Columns: the document's (0-8), its chunk and vector counts (9, 10), its vector models as a
// JSON array (11), then its newest job's (12-36, all NULL when it has none). $2 status, $3 state
// (NULL when unset), $4 filename prefix ('' matches all), $5 limit, $6 offset.
inline constexpr char kListDocuments[] =
    "SELECT d.*, (SELECT count(*) FROM chunks c WHERE c.document_id = d.id),"
    " (SELECT count(*) FROM vectors v WHERE v.document_id = d.id),"
    " (SELECT coalesce(json_agg(DISTINCT v.model ORDER BY v.model), '[]'::json)"
    "   FROM vectors v WHERE v.document_id = d.id)::text,"
    " j.* FROM (SELECT " INGESTD_DOCUMENT_COLUMNS
    " FROM documents WHERE user_id = $1) d"
    " LEFT JOIN LATERAL (SELECT " INGESTD_JOB_COLUMNS
    " FROM jobs WHERE document_id = d.id"
    "   ORDER BY created_at DESC, id DESC LIMIT 1) j ON true"
    " WHERE ($2::text IS NULL OR j.status = $2) AND ($3::text IS NULL OR j.state = $3)"
    " AND substr(d.filename, 1, length($4::text)) = $4::text"
    " ORDER BY d.created_at DESC, d.id DESC LIMIT $5::bigint OFFSET $6::bigint";
// $1 user, $2 the chunk ids as a JSON array.
inline constexpr char kGetChunkVectors[] =
    "SELECT v.chunk_id, v.document_id, v.model, v.data FROM vectors v"
    " JOIN documents d ON d.id = v.document_id"
    " WHERE v.chunk_id IN (SELECT json_array_elements_text($2::json)) AND d.user_id = $1"
    " ORDER BY v.chunk_id, v.model";

// ---- retrieval (Store::KeywordSearch, GetChunkViews, ListDocumentIds, change feeds) ----
// The NOTIFY channel of vector commits (migration v6, trigger vectors_notify).
inline constexpr char kVectorsChannel[] = "ingestd_vectors";
#define INGESTD_CHUNK_VIEW_COLUMNS                                                    \
  "c.id, c.document_id, c.ord, c.text, c.heading_path, c.token_count, c.char_start, " \
  "c.char_end, c.page_start, c.page_end, d.filename, d.created_at"
// A SearchFilter on documents d (retrieval_codec.h FilterArgs), parameters ids..before.
#define INGESTD_SEARCH_FILTER(ids, prefix, after, before)                        \
  " AND (" ids "::json IS NULL OR d.id IN (SELECT json_array_elements_text(" ids \
  "::json)))"                                                                    \
  " AND substr(d.filename, 1, length(" prefix "::text)) = " prefix               \
  "::text"                                                                       \
  " AND (" after "::bigint IS NULL OR d.created_at > " after                     \
  "::bigint)"                                                                    \
  " AND (" before "::bigint IS NULL OR d.created_at < " before "::bigint)"
// The words ($2, a JSON array: keyword_query.h) become one OR of plainto_tsquery()s, which
// take any text; their canonical text form is what to_tsquery reads back. Words with no
// lexeme drop out; none left: a NULL query, matching nothing. $1 user, $3-$6 the filter,
// $7 limit.
inline constexpr char kKeywordSearch[] =
    "WITH q AS (SELECT to_tsquery('simple', string_agg('(' || t::text || ')', ' | ')) AS q"
    "   FROM (SELECT plainto_tsquery('simple', ingestd_search_text(w)) AS t"
    "     FROM json_array_elements_text($2::json) AS words(w)) x WHERE t::text <> '')"
    " SELECT c.id, ts_rank_cd(c.tsv, q.q, 1) AS score FROM q, chunks c"
    " JOIN documents d ON d.id = c.document_id"
    " WHERE c.tsv @@ q.q AND d.user_id = $1" INGESTD_SEARCH_FILTER(
        "$3", "$4", "$5", "$6") " ORDER BY score DESC, c.id LIMIT $7::bigint";
// $1 user, $2 the chunk ids as a JSON array; any order (the caller orders).
inline constexpr char kGetChunkViews[] =
    "SELECT " INGESTD_CHUNK_VIEW_COLUMNS
    " FROM chunks c JOIN documents d ON d.id = c.document_id"
    " WHERE c.id IN (SELECT json_array_elements_text($2::json)) AND d.user_id = $1";
// $1 user, $2-$5 the filter.
inline constexpr char kListDocumentIds[] =
    "SELECT d.id FROM documents d WHERE d.user_id = $1" INGESTD_SEARCH_FILTER(
        "$2", "$3", "$4", "$5") " ORDER BY d.id";
// As in SQLite (sqlite_sql.h): stored and removed rows after a seq, each side limited before
// the merge, a tombstone of a row written again since left out. Read in binary (the data is
// bytea), so every other column is text. $1 after seq, $2 limit.
inline constexpr char kListVectorChanges[] =
    "SELECT * FROM (SELECT * FROM (SELECT v.seq::text AS seq, d.user_id, v.document_id,"
    "   v.chunk_id, v.model, '0'::text AS deleted, v.data FROM vectors v"
    "   JOIN documents d ON d.id = v.document_id"
    "   WHERE v.seq > $1::bigint ORDER BY v.seq LIMIT $2::bigint) s"
    " UNION ALL SELECT * FROM (SELECT t.seq::text, t.user_id, t.document_id, t.chunk_id, t.model,"
    "   '1'::text, NULL::bytea FROM vector_tombstones t WHERE t.seq > $1::bigint AND NOT EXISTS"
    "   (SELECT 1 FROM vectors v WHERE v.chunk_id = t.chunk_id AND v.model = t.model"
    "   AND v.seq > t.seq) ORDER BY t.seq LIMIT $2::bigint) r) u"
    " ORDER BY u.seq::bigint LIMIT $2::bigint";
// $1 user, $2 after seq, $3 limit.
inline constexpr char kListChunkChanges[] =
    "SELECT * FROM (SELECT * FROM (SELECT c.seq, d.user_id, c.id, 0, " INGESTD_CHUNK_VIEW_COLUMNS
    "   FROM chunks c JOIN documents d ON d.id = c.document_id"
    "   WHERE c.user_id = $1 AND c.seq > $2::bigint ORDER BY c.seq LIMIT $3::bigint) s"
    " UNION ALL SELECT * FROM (SELECT t.seq, t.user_id, t.chunk_id, 1, NULL, NULL, NULL::integer,"
    "   NULL, NULL, NULL::integer, NULL::bigint, NULL::bigint, NULL::integer, NULL::integer, NULL,"
    "   NULL::bigint FROM chunk_tombstones t WHERE t.user_id = $1 AND t.seq > $2::bigint"
    "   AND NOT EXISTS (SELECT 1 FROM chunks c WHERE c.id = t.chunk_id AND c.seq > t.seq)"
    "   ORDER BY t.seq LIMIT $3::bigint) r) u"
    " ORDER BY 1 LIMIT $3::bigint";
// Every user's rows. $1 after seq, $2 limit.
inline constexpr char kListAllChunkChanges[] =
    "SELECT * FROM (SELECT * FROM (SELECT c.seq, d.user_id, c.id, 0, " INGESTD_CHUNK_VIEW_COLUMNS
    "   FROM chunks c JOIN documents d ON d.id = c.document_id"
    "   WHERE c.seq > $1::bigint ORDER BY c.seq LIMIT $2::bigint) s"
    " UNION ALL SELECT * FROM (SELECT t.seq, t.user_id, t.chunk_id, 1, NULL, NULL, NULL::integer,"
    "   NULL, NULL, NULL::integer, NULL::bigint, NULL::bigint, NULL::integer, NULL::integer, NULL,"
    "   NULL::bigint FROM chunk_tombstones t WHERE t.seq > $1::bigint"
    "   AND NOT EXISTS (SELECT 1 FROM chunks c WHERE c.id = t.chunk_id AND c.seq > t.seq)"
    "   ORDER BY t.seq LIMIT $2::bigint) r) u"
    " ORDER BY 1 LIMIT $2::bigint";
#undef INGESTD_SEARCH_FILTER
#undef INGESTD_CHUNK_VIEW_COLUMNS

#undef INGESTD_JOB_COLUMNS
#undef INGESTD_DOCUMENT_COLUMNS
#undef INGESTD_CHUNK_COLUMNS
#undef INGESTD_EVENT_COLUMNS

}  // namespace ingestd::pg::sql
