-- pgbench script: the raw SKIP LOCKED claim-and-complete loop that bench/pg/run.sh compares
-- claim_bench (the Store) against. One transaction = claim the queued job of the highest
-- processing_priority, then the oldest (the Store's claim order and index), mark it done.
-- Run with -M prepared on a database seeded by `claim_bench --seed-only`.
WITH q AS (SELECT id FROM jobs WHERE state = 'queued' AND status <> 'awaiting_upload'
           ORDER BY processing_priority DESC, created_at, id LIMIT 1 FOR UPDATE SKIP LOCKED)
UPDATE jobs SET state = 'working', claimed_by = 'pgbench', lease_expires_at = 1, updated_at = 1
  FROM q WHERE jobs.id = q.id RETURNING jobs.id AS job_id
\gset
UPDATE jobs SET state = 'done', status = 'complete', claimed_by = '', lease_expires_at = 0
  WHERE id = :job_id;
