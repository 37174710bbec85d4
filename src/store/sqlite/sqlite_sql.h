// Every SQL statement of the SQLite store, as named constants. The statement cache keys
// on these addresses, so they are inline (one address per program).
//
// Column lists are shared with the row readers in sqlite_rows.h: change both together.
// State literals in the claim query must equal core/model.h ToString(QueueState) (a test
// checks) and match the partial claim indexes (migrations.cpp, v2) word for word.
#pragma once

namespace ingestd::sqlite::sql {

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

// ---- documents ----
inline constexpr char kInsertDocument[] =
    "INSERT INTO documents (" INGESTD_DOCUMENT_COLUMNS ") VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9)";
inline constexpr char kSelectDocument[] =
    "SELECT " INGESTD_DOCUMENT_COLUMNS " FROM documents WHERE id = ?1";
inline constexpr char kSelectDocumentScoped[] =
    "SELECT " INGESTD_DOCUMENT_COLUMNS " FROM documents WHERE id = ?1 AND user_id = ?2";
inline constexpr char kSelectDocumentByHash[] =
    "SELECT " INGESTD_DOCUMENT_COLUMNS " FROM documents WHERE user_id = ?1 AND sha256 = ?2";
inline constexpr char kSetDocumentBlobKey[] = "UPDATE documents SET blob_key = ?2 WHERE id = ?1";
inline constexpr char kSetPageCount[] = "UPDATE documents SET page_count = ?2 WHERE id = ?1";
inline constexpr char kDeleteDocument[] = "DELETE FROM documents WHERE id = ?1";

// ---- jobs ----
inline constexpr char kInsertJob[] =
    "INSERT INTO jobs (" INGESTD_JOB_COLUMNS
    ") VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,?19,?20,?21,"
    "?22,?23,?24,?25,?26,?27)";
inline constexpr char kSelectJob[] = "SELECT " INGESTD_JOB_COLUMNS " FROM jobs WHERE id = ?1";
inline constexpr char kSelectJobScoped[] =
    "SELECT " INGESTD_JOB_COLUMNS " FROM jobs WHERE id = ?1 AND user_id = ?2";
inline constexpr char kSelectNewestJobForDocument[] =
    "SELECT " INGESTD_JOB_COLUMNS
    " FROM jobs WHERE document_id = ?1 ORDER BY created_at DESC, id DESC LIMIT 1";
// ?2/?3 are NULL when the filter is unset.
inline constexpr char kListJobs[] =
    "SELECT " INGESTD_JOB_COLUMNS
    " FROM jobs WHERE user_id = ?1 AND (?2 IS NULL OR state = ?2) AND (?3 IS NULL OR status = ?3)"
    " ORDER BY created_at DESC, id DESC LIMIT ?4 OFFSET ?5";
inline constexpr char kMarkUploaded[] =
    "UPDATE jobs SET status = ?2, state = 'queued', updated_at = ?3 WHERE id = ?1";
inline constexpr char kDeleteDocumentJobs[] = "DELETE FROM jobs WHERE document_id = ?1";
inline constexpr char kRequeueJob[] =
    "UPDATE jobs SET state = 'queued', retry_count = 0, retry_at = 0, last_error = NULL,"
    " claimed_by = '', lease_expires_at = 0, updated_at = ?2 WHERE id = ?1"
    " RETURNING " INGESTD_JOB_COLUMNS;

// Claimable: queued (and its bytes have arrived), retryable and due, or working with an
// expired lease; the highest processing_priority wins, then the oldest by created_at. Each
// branch is an index lookup on its own partial index (migrations v2, v4: the queued one
// leads with the priority), so a backlog of not-yet-due retries or of live leases costs
// nothing per claim. Picked, then claimed, inside one write transaction, so two workers can
// never claim the same job. Picks the id and, for an expired lease, the worker that lost it.
// ?1 now.
#define INGESTD_CLAIM_ORDER " ORDER BY processing_priority DESC, created_at, id LIMIT 1"
#define INGESTD_CLAIM_HEAD(where)                                                          \
  "SELECT * FROM (SELECT id, processing_priority, created_at, state, claimed_by FROM jobs" \
  " WHERE " where INGESTD_CLAIM_ORDER ")"
inline constexpr char kPickNext[] =
    "SELECT id, CASE WHEN state = 'working' THEN claimed_by ELSE '' END FROM ("
    INGESTD_CLAIM_HEAD("state = 'queued' AND status <> 'awaiting_upload'")
    " UNION ALL " INGESTD_CLAIM_HEAD("state = 'retryable' AND retry_at <= ?1")
    " UNION ALL " INGESTD_CLAIM_HEAD("state = 'working' AND lease_expires_at < ?1")
    ")" INGESTD_CLAIM_ORDER;
#undef INGESTD_CLAIM_HEAD
// Taking over an expired lease uses up an attempt: the worker holding it died in the stage
// (crash, OOM, SIGKILL), and a document that kills its worker must not do so forever.
// ?1 job, ?2 worker, ?3 now, ?4 lease_ms.
inline constexpr char kClaimJob[] =
    "UPDATE jobs SET state = 'working', claimed_by = ?2, lease_expires_at = ?3 + ?4,"
    " retry_count = retry_count + (CASE WHEN state = 'working' THEN 1 ELSE 0 END),"
    " updated_at = ?3 WHERE id = ?1"
    " RETURNING " INGESTD_JOB_COLUMNS;
#undef INGESTD_CLAIM_ORDER

// One routed call (Store::RecordRoute), one statement: the increments read the row they
// write, so concurrent calls never lose one. ?1 job, ?2 service (parse|embed, checked by
// the caller: it becomes a JSON path), ?3 mode, ?4 implementation, ?5 reason, ?6 fallback
// (0/1), ?7 cost nanos, ?8 now.
#define INGESTD_ROUTE_PATH(key) "'$.' || ?2 || '." key "'"
inline constexpr char kRecordRoute[] =
    "UPDATE jobs SET"
    " actual_cost_parse_nanos = actual_cost_parse_nanos + (CASE WHEN ?2 = 'parse' THEN ?7 ELSE 0 END),"
    " actual_cost_embed_nanos = actual_cost_embed_nanos + (CASE WHEN ?2 = 'embed' THEN ?7 ELSE 0 END),"
    " fallback_triggered = MAX(fallback_triggered, ?6),"
    " stage_routes = json_set(stage_routes, '$.' || ?2, json_object("
    "   'mode', ?3, 'implementation', ?4, 'reason', ?5,"
    "   'calls', coalesce(json_extract(stage_routes, " INGESTD_ROUTE_PATH("calls") "), 0) + 1,"
    "   'fallback_calls', coalesce(json_extract(stage_routes, " INGESTD_ROUTE_PATH(
        "fallback_calls") "), 0) + ?6,"
    "   'fallback_reason', CASE WHEN ?6 = 1 THEN ?5"
    "     ELSE json_extract(stage_routes, " INGESTD_ROUTE_PATH("fallback_reason") ") END)),"
    " updated_at = ?8"
    " WHERE id = ?1";
#undef INGESTD_ROUTE_PATH

// Worker-side statements: all guarded by the lease (?1 job, ?2 worker).
#define INGESTD_LEASE_HELD " WHERE id = ?1 AND state = 'working' AND claimed_by = ?2"
inline constexpr char kSelectLeasedJob[] =
    "SELECT " INGESTD_JOB_COLUMNS " FROM jobs" INGESTD_LEASE_HELD;
inline constexpr char kExtendLease[] = "UPDATE jobs SET lease_expires_at = ?3" INGESTD_LEASE_HELD;
// ?3 status, ?4 next state, ?5 stage_pct, ?6 timings, ?7 now. The claim stays only when
// the job goes on working.
inline constexpr char kFinishStage[] =
    "UPDATE jobs SET status = ?3, state = ?4, stage_pct = ?5, timings = ?6, updated_at = ?7,"
    " retry_at = CASE WHEN ?4 = 'retryable' THEN ?8 ELSE retry_at END,"
    " claimed_by = CASE WHEN ?4 = 'working' THEN claimed_by ELSE '' END,"
    " lease_expires_at = CASE WHEN ?4 = 'working' THEN lease_expires_at ELSE 0 "
    "END" INGESTD_LEASE_HELD;
// ?3 retry_at, ?4 last_error, ?5 now, ?6 1 when the retry uses up an attempt (else 0).
inline constexpr char kScheduleRetry[] =
    "UPDATE jobs SET state = 'retryable', retry_count = retry_count + ?6, retry_at = ?3,"
    " last_error = ?4, claimed_by = '', lease_expires_at = 0, updated_at = ?5" INGESTD_LEASE_HELD;
// ?3 last_error, ?4 now.
inline constexpr char kDeadLetter[] =
    "UPDATE jobs SET state = 'deadletter', last_error = ?3, claimed_by = '',"
    " lease_expires_at = 0, updated_at = ?4" INGESTD_LEASE_HELD;
// ?3 now.
inline constexpr char kReleaseClaim[] =
    "UPDATE jobs SET state = 'queued', claimed_by = '', lease_expires_at = 0, updated_at = "
    "?3" INGESTD_LEASE_HELD;
#undef INGESTD_LEASE_HELD

// ---- chunks and vectors ----
inline constexpr char kInsertChunk[] =
    "INSERT INTO chunks (" INGESTD_CHUNK_COLUMNS ") VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10)";
inline constexpr char kListChunks[] =
    "SELECT " INGESTD_CHUNK_COLUMNS
    " FROM chunks WHERE document_id = ?1 ORDER BY ord LIMIT ?2 OFFSET ?3";
inline constexpr char kCountChunks[] = "SELECT count(*) FROM chunks WHERE document_id = ?1";
inline constexpr char kDeleteDocumentChunks[] = "DELETE FROM chunks WHERE document_id = ?1";
// The row takes the next change seq itself, so the seq triggers (migration v9) only move the
// counter instead of rewriting the row with its vector.
inline constexpr char kUpsertVector[] =
    "INSERT INTO vectors (chunk_id, model, document_id, dims, data, seq, text_sha256, tokens,"
    " cache_hit, saved_nanos, written_at)"
    " VALUES (?1,?2,?3,?4,?5,(SELECT value + 1 FROM change_seq),?6,?7,?8,?9,?10)"
    " ON CONFLICT (chunk_id, model) DO UPDATE SET document_id = excluded.document_id,"
    " dims = excluded.dims, data = excluded.data, seq = excluded.seq,"
    " text_sha256 = excluded.text_sha256, tokens = excluded.tokens,"
    " cache_hit = excluded.cache_hit, saved_nanos = excluded.saved_nanos,"
    " written_at = excluded.written_at";
inline constexpr char kGetVectors[] =
    "SELECT v.chunk_id, v.document_id, v.model, v.data FROM vectors v"
    " JOIN chunks c ON c.id = v.chunk_id WHERE v.document_id = ?1 ORDER BY c.ord, v.model";
inline constexpr char kCountVectors[] = "SELECT count(*) FROM vectors WHERE document_id = ?1";
inline constexpr char kDeleteDocumentVectors[] = "DELETE FROM vectors WHERE document_id = ?1";

// ---- events ----
inline constexpr char kInsertEvent[] =
    "INSERT INTO events (job_id, correlation_id, type, code, stage, payload, at)"
    " VALUES (?1,?2,?3,?4,?5,?6,?7)";
inline constexpr char kListEvents[] =
    "SELECT " INGESTD_EVENT_COLUMNS " FROM events WHERE job_id = ?1 ORDER BY id";
inline constexpr char kDeleteDocumentWebhooks[] =
    "DELETE FROM webhook_deliveries WHERE job_id IN (SELECT id FROM jobs WHERE document_id = ?1)";
// Store::RecordWebhookDelivery. ?1 job, ?2 event id, ?3 event type, ?4 now.
inline constexpr char kInsertWebhookDelivery[] =
    "INSERT INTO webhook_deliveries (job_id, event_id, event_type, received_at)"
    " VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING";
// The wake, rate-limited per job: ?1 job, ?2 now, ?3 min interval.
inline constexpr char kWakeForWebhook[] =
    "UPDATE jobs SET webhook_woken_at = ?2,"
    " retry_at = CASE WHEN status = 'parse_submitted' AND state = 'retryable'"
    "   THEN MIN(retry_at, ?2) ELSE retry_at END WHERE id = ?1"
    " AND status IN ('uploaded', 'parse_queued', 'parse_submitted')"
    " AND state NOT IN ('done', 'deadletter') AND webhook_woken_at <= ?2 - ?3";
inline constexpr char kJobExists[] = "SELECT count(*) FROM jobs WHERE id = ?1";
// Store::WakeParkedJob. ?1 job, ?2 status, ?3 now.
inline constexpr char kWakeParkedJob[] =
    "UPDATE jobs SET retry_at = MIN(retry_at, ?3), updated_at = ?3"
    " WHERE id = ?1 AND status = ?2 AND state = 'retryable'";
inline constexpr char kDeleteDocumentEvents[] =
    "DELETE FROM events WHERE job_id IN (SELECT id FROM jobs WHERE document_id = ?1)";

// ---- listing (Store::ListDocuments, GetChunkVectors) ----
// Columns: the document's (0-8), its chunk and vector counts (9, 10), its vector models as a
// JSON array (11), then its newest job's (12-36, all NULL when it has none). ?2 status, ?3 state
// (NULL when unset), ?4 filename prefix ('' matches all), ?5 limit, ?6 offset.
inline constexpr char kListDocuments[] =
    "SELECT d.*, (SELECT count(*) FROM chunks c WHERE c.document_id = d.id),"
    " (SELECT count(*) FROM vectors v WHERE v.document_id = d.id),"
    " (SELECT json_group_array(model) FROM"
    "   (SELECT DISTINCT model FROM vectors v WHERE v.document_id = d.id ORDER BY model)),"
    " j.* FROM (SELECT " INGESTD_DOCUMENT_COLUMNS
    " FROM documents WHERE user_id = ?1) d"
    " LEFT JOIN (SELECT " INGESTD_JOB_COLUMNS
    " FROM jobs) j ON j.id ="
    "   (SELECT id FROM jobs WHERE document_id = d.id ORDER BY created_at DESC, id DESC LIMIT 1)"
    " WHERE (?2 IS NULL OR j.status = ?2) AND (?3 IS NULL OR j.state = ?3)"
    " AND substr(d.filename, 1, length(?4)) = ?4"
    " ORDER BY d.created_at DESC, d.id DESC LIMIT ?5 OFFSET ?6";
// ?1 user, ?2 the chunk ids as a JSON array.
inline constexpr char kGetChunkVectors[] =
    "SELECT v.chunk_id, v.document_id, v.model, v.data FROM vectors v"
    " JOIN documents d ON d.id = v.document_id"
    " WHERE v.chunk_id IN (SELECT value FROM json_each(?2)) AND d.user_id = ?1"
    " ORDER BY v.chunk_id, v.model";

// ---- retrieval (Store::KeywordSearch, GetChunkViews, ListDocumentIds, change feeds) ----
#define INGESTD_CHUNK_VIEW_COLUMNS                                                    \
  "c.id, c.document_id, c.ord, c.text, c.heading_path, c.token_count, c.char_start, " \
  "c.char_end, c.page_start, c.page_end, d.filename, d.created_at"
// A SearchFilter on documents d, from parameter n on (retrieval_codec.h FilterArgs).
#define INGESTD_SEARCH_FILTER(ids, prefix, after, before)                   \
  " AND (" ids " IS NULL OR d.id IN (SELECT value FROM json_each(" ids      \
  ")))"                                                                     \
  " AND substr(d.filename, 1, length(" prefix ")) = " prefix " AND (" after \
  " IS NULL OR"                                                             \
  " d.created_at > " after ") AND (" before " IS NULL OR d.created_at < " before ")"
// The index drives (CROSS JOIN keeps it outermost: bm25() needs the MATCH row). ?1 user,
// ?2 the FTS5 expression (keyword_query.h), ?3-?6 the filter, ?7 limit.
inline constexpr char kKeywordSearch[] =
    "SELECT c.id, -bm25(chunks_fts) AS score FROM chunks_fts"
    " CROSS JOIN chunks c ON c.seq = chunks_fts.rowid"
    " CROSS JOIN documents d ON d.id = c.document_id"
    " WHERE chunks_fts MATCH ?2 AND d.user_id = ?1" INGESTD_SEARCH_FILTER(
        "?3", "?4", "?5", "?6") " ORDER BY score DESC, c.id LIMIT ?7";
// The index's best ?8 matches of anyone's, ranked inside FTS5 (ORDER BY rank: no join runs
// for a match outside them), each marked whether it is the user's and passes the filter;
// every match appears (mine 0 or NULL otherwise), so the caller sees whether ?8 were cut.
// kKeywordSearch answers when these are not enough. Parameters as kKeywordSearch.
inline constexpr char kKeywordSearchTop[] =
    "SELECT c.id, f.score, (d.user_id = ?1" INGESTD_SEARCH_FILTER("?3", "?4", "?5", "?6") ")"
    " FROM (SELECT rowid, -rank AS score FROM chunks_fts WHERE chunks_fts MATCH ?2"
    "   ORDER BY rank LIMIT ?8) f"
    " LEFT JOIN chunks c ON c.seq = f.rowid LEFT JOIN documents d ON d.id = c.document_id"
    " ORDER BY f.score DESC, c.id";
// ?1 user, ?2 the chunk ids as a JSON array; any order (the caller orders). CROSS JOIN
// keeps chunks outermost, read by primary key once per id: left to itself the planner took
// the user's documents first and read every chunk of theirs (7 ms over r-doc-pdf, not 30 us).
inline constexpr char kGetChunkViews[] =
    "SELECT " INGESTD_CHUNK_VIEW_COLUMNS
    " FROM chunks c CROSS JOIN documents d ON d.id = c.document_id"
    " WHERE c.id IN (SELECT value FROM json_each(?2)) AND d.user_id = ?1";
// ?1 user, ?2-?5 the filter.
inline constexpr char kListDocumentIds[] =
    "SELECT d.id FROM documents d WHERE d.user_id = ?1" INGESTD_SEARCH_FILTER(
        "?2", "?3", "?4", "?5") " ORDER BY d.id";
// Stored and removed rows after a seq, each side limited before the merge. A tombstone of a
// row written again since is left out. Columns: retrieval_codec.h ReadChunkChange; here
// seq 0, user 1, document 2, chunk 3, model 4, deleted 5, data 6 (NULL when deleted).
// ?1 after seq, ?2 limit.
inline constexpr char kListVectorChanges[] =
    "SELECT * FROM (SELECT * FROM (SELECT v.seq, d.user_id, v.document_id, v.chunk_id, v.model,"
    "   0, v.data FROM vectors v JOIN documents d ON d.id = v.document_id"
    "   WHERE v.seq > ?1 ORDER BY v.seq LIMIT ?2)"
    " UNION ALL SELECT * FROM (SELECT t.seq, t.user_id, t.document_id, t.chunk_id, t.model, 1,"
    "   NULL FROM vector_tombstones t WHERE t.seq > ?1 AND NOT EXISTS (SELECT 1 FROM vectors v"
    "   WHERE v.chunk_id = t.chunk_id AND v.model = t.model AND v.seq > t.seq)"
    "   ORDER BY t.seq LIMIT ?2))"
    " ORDER BY 1 LIMIT ?2";
// The user's rows by the (user_id, seq) index (migration v8). ?1 user, ?2 after seq, ?3 limit.
inline constexpr char kListChunkChanges[] =
    "SELECT * FROM (SELECT * FROM (SELECT c.seq, d.user_id, c.id, 0, " INGESTD_CHUNK_VIEW_COLUMNS
    "   FROM chunks c JOIN documents d ON d.id = c.document_id"
    "   WHERE c.user_id = ?1 AND c.seq > ?2 ORDER BY c.seq LIMIT ?3)"
    " UNION ALL SELECT * FROM (SELECT t.seq, t.user_id, t.chunk_id, 1, NULL, NULL, NULL, NULL,"
    "   NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL FROM chunk_tombstones t"
    "   WHERE t.user_id = ?1 AND t.seq > ?2 AND NOT EXISTS (SELECT 1 FROM chunks c"
    "   WHERE c.id = t.chunk_id AND c.seq > t.seq) ORDER BY t.seq LIMIT ?3))"
    " ORDER BY 1 LIMIT ?3";
// Every user's rows by chunks_by_seq (migration v6). ?1 after seq, ?2 limit.
inline constexpr char kListAllChunkChanges[] =
    "SELECT * FROM (SELECT * FROM (SELECT c.seq, d.user_id, c.id, 0, " INGESTD_CHUNK_VIEW_COLUMNS
    "   FROM chunks c JOIN documents d ON d.id = c.document_id"
    "   WHERE c.seq > ?1 ORDER BY c.seq LIMIT ?2)"
    " UNION ALL SELECT * FROM (SELECT t.seq, t.user_id, t.chunk_id, 1, NULL, NULL, NULL, NULL,"
    "   NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL FROM chunk_tombstones t"
    "   WHERE t.seq > ?1 AND NOT EXISTS (SELECT 1 FROM chunks c"
    "   WHERE c.id = t.chunk_id AND c.seq > t.seq) ORDER BY t.seq LIMIT ?2))"
    " ORDER BY 1 LIMIT ?2";
#undef INGESTD_SEARCH_FILTER
#undef INGESTD_CHUNK_VIEW_COLUMNS

inline constexpr char kPing[] = "SELECT 1";

#undef INGESTD_JOB_COLUMNS
#undef INGESTD_DOCUMENT_COLUMNS
#undef INGESTD_CHUNK_COLUMNS
#undef INGESTD_EVENT_COLUMNS

}  // namespace ingestd::sqlite::sql
