#include "batch/pg_batch_store.h"

#include "db/pg_subsystem_db.h"
#include "store/vector_codec.h"

namespace ingestd {
namespace {

using pg::PgConn;
using pg::PgParams;
using pg::PgResult;

// Schema versions of MigrateSubsystem: append, never edit an applied one.
constexpr char kMigration1[] = R"sql(
CREATE TABLE batch_jobs (
  job_id         text PRIMARY KEY,
  document_id    text NOT NULL,
  user_id        text NOT NULL,
  correlation_id text NOT NULL,
  priority       integer NOT NULL,
  enqueued_at    bigint NOT NULL
);
CREATE TABLE batch_chunks (
  job_id      text NOT NULL,
  chunk_id    text NOT NULL,
  text_sha256 text NOT NULL,
  tokens      bigint NOT NULL,
  state       text NOT NULL,
  run_id      text NOT NULL DEFAULT '',
  attempts    integer NOT NULL DEFAULT 0,
  vector      bytea,
  enqueued_at bigint NOT NULL,
  PRIMARY KEY (job_id, chunk_id)
);
CREATE INDEX batch_chunks_waiting ON batch_chunks (state, enqueued_at);
CREATE INDEX batch_chunks_run ON batch_chunks (run_id);
CREATE TABLE batch_runs (
  id            text PRIMARY KEY,
  model         text NOT NULL,
  input_file_id text NOT NULL DEFAULT '',
  batch_id      text NOT NULL DEFAULT '',
  status        text NOT NULL DEFAULT '',
  finished      boolean NOT NULL DEFAULT false,
  created_at    bigint NOT NULL
);
CREATE TABLE batch_reservations (
  run_id         text NOT NULL,
  job_id         text NOT NULL,
  reservation_id text NOT NULL,
  PRIMARY KEY (run_id, job_id)
);
CREATE TABLE batch_leader (
  id          integer PRIMARY KEY CHECK (id = 1),
  holder      text NOT NULL,
  lease_until bigint NOT NULL
);
)sql";

#define INGESTD_PG_QUEUED_CHUNK_COLUMNS                                                    \
  "c.job_id, c.chunk_id, c.text_sha256, j.document_id, j.user_id, j.correlation_id, "      \
  "j.priority, c.tokens, c.attempts, c.enqueued_at FROM batch_chunks c JOIN batch_jobs j " \
  "ON j.job_id = c.job_id"

constexpr char kPgJobKnown[] = "SELECT count(*) FROM batch_jobs WHERE job_id = $1";
constexpr char kPgInsertJob[] =
    "INSERT INTO batch_jobs (job_id, document_id, user_id, correlation_id, priority, "
    "enqueued_at) VALUES ($1, $2, $3, $4, $5::integer, $6::bigint) ON CONFLICT DO NOTHING";
constexpr char kPgInsertChunk[] =
    "INSERT INTO batch_chunks (job_id, chunk_id, text_sha256, tokens, state, enqueued_at) "
    "VALUES ($1, $2, $3, $4::bigint, 'waiting', $5::bigint) ON CONFLICT DO NOTHING";
// Binary results: the vector's bytes as stored.
constexpr char kPgJobChunks[] =
    "SELECT chunk_id, state, vector, tokens::text, text_sha256 FROM batch_chunks "
    "WHERE job_id = $1";
constexpr char kPgForgetChunks[] = "DELETE FROM batch_chunks WHERE job_id = $1";
constexpr char kPgForgetJob[] = "DELETE FROM batch_jobs WHERE job_id = $1";
constexpr char kPgLead[] =
    "INSERT INTO batch_leader (id, holder, lease_until) VALUES (1, $1, $3::bigint) "
    "ON CONFLICT (id) DO UPDATE SET holder = excluded.holder, lease_until = excluded.lease_until "
    "WHERE batch_leader.holder = $1 OR batch_leader.lease_until <= $2::bigint";
constexpr char kPgListWaiting[] = "SELECT " INGESTD_PG_QUEUED_CHUNK_COLUMNS
                                  " WHERE c.state = 'waiting'"
                                  " ORDER BY c.enqueued_at, c.job_id, c.chunk_id LIMIT $1::bigint";
constexpr char kPgRunChunks[] = "SELECT " INGESTD_PG_QUEUED_CHUNK_COLUMNS
                                " WHERE c.run_id = $1 AND c.state = 'submitted'"
                                " ORDER BY c.job_id, c.chunk_id";
constexpr char kPgInsertRun[] =
    "INSERT INTO batch_runs (id, model, input_file_id, batch_id, status, created_at) "
    "VALUES ($1, $2, $3, $4, $5, $6::bigint)";
constexpr char kPgSubmitChunk[] =
    "UPDATE batch_chunks SET state = 'submitted', run_id = $3 "
    "WHERE job_id = $1 AND chunk_id = $2 AND state = 'waiting'";
constexpr char kPgInsertReservation[] =
    "INSERT INTO batch_reservations (run_id, job_id, reservation_id) VALUES ($1, $2, $3)";
constexpr char kPgOpenRuns[] =
    "SELECT id, model, input_file_id, batch_id, status, created_at FROM batch_runs "
    "WHERE NOT finished ORDER BY created_at, id";
constexpr char kPgUpdateRun[] =
    "UPDATE batch_runs SET input_file_id = $2, batch_id = $3, status = $4 WHERE id = $1";
constexpr char kPgRunReservations[] =
    "SELECT job_id, reservation_id FROM batch_reservations WHERE run_id = $1 ORDER BY job_id";
constexpr char kPgChunkDone[] =
    "UPDATE batch_chunks SET state = 'done', vector = $3, tokens = $4::bigint "
    "WHERE job_id = $1 AND chunk_id = $2 AND run_id = $5 AND state = 'submitted'";
constexpr char kPgChunkAgain[] =
    "UPDATE batch_chunks SET state = 'waiting', run_id = '', attempts = attempts + 1 "
    "WHERE job_id = $1 AND chunk_id = $2 AND run_id = $3 AND state = 'submitted'";
constexpr char kPgChunkFailed[] =
    "UPDATE batch_chunks SET state = 'failed', attempts = attempts + 1 "
    "WHERE job_id = $1 AND chunk_id = $2 AND run_id = $3 AND state = 'submitted'";
constexpr char kPgRunLeftovers[] =
    "UPDATE batch_chunks SET state = 'failed', attempts = attempts + 1 "
    "WHERE run_id = $1 AND state = 'submitted'";
constexpr char kPgFinishRun[] = "UPDATE batch_runs SET status = $2, finished = true WHERE id = $1";
constexpr char kPgSettledJobs[] =
    "SELECT DISTINCT r.job_id FROM batch_reservations r WHERE r.run_id = $1 AND NOT EXISTS "
    "(SELECT 1 FROM batch_chunks c WHERE c.job_id = r.job_id "
    " AND c.state IN ('waiting', 'submitted')) ORDER BY r.job_id";

}  // namespace

PgBatchStore::PgBatchStore(const std::string& url, std::string model)
    : pool_(url, pg::PgPoolOptions{.max_size = 2}), model_(std::move(model)) {}

Result<std::unique_ptr<PgBatchStore>> PgBatchStore::Open(const std::string& url,
                                                         std::string model) {
  std::unique_ptr<PgBatchStore> store(new PgBatchStore(url, std::move(model)));
  const char* const migrations[] = {kMigration1};
  if (Status s = pg::MigrateSubsystem(store->pool_, "batch", migrations); !s.ok()) return s;
  return store;
}

Result<BatchTurn> PgBatchStore::Turn(const std::string& job_id) {
  return pool_.Transaction([&](PgConn& c) -> Result<BatchTurn> {
    BatchTurn turn;
    auto known = c.Query(kPgJobKnown, PgParams().Add(job_id));
    if (!known.ok()) return known.status();
    if (known->Int(0, 0) == 0) return turn;
    auto rows = c.Query(kPgJobChunks, PgParams().Add(job_id), pg::ResultFormat::kBinary);
    if (!rows.ok()) return rows.status();
    TurnFolder fold(model_);
    for (int i = 0; i < rows->rows(); ++i) {
      fold.Add(rows->Bytes(i, 1), std::string(rows->Bytes(i, 0)), rows->Bytes(i, 2),
               std::stoll(std::string(rows->Bytes(i, 3))), std::string(rows->Bytes(i, 4)));
    }
    return fold.Finish();
  });
}

Status PgBatchStore::Enqueue(const Job& job, const std::vector<BatchedChunk>& chunks,
                             int64_t now_ms) {
  return pool_.Transaction([&](PgConn& c) -> Status {
    auto ins = c.Query(kPgInsertJob, PgParams()
                                         .Add(job.id)
                                         .Add(job.document_id)
                                         .Add(job.user_id)
                                         .Add(job.correlation_id)
                                         .Add(job.processing_priority)
                                         .Add(now_ms));
    if (!ins.ok()) return ins.status();
    if (ins->Affected() == 0) return Status();  // known already: nothing changes
    std::vector<pg::BatchItem> items;
    for (const BatchedChunk& b : chunks) {
      items.push_back(
          {kPgInsertChunk,
           PgParams().Add(job.id).Add(b.chunk_id).Add(b.text_sha256).Add(b.tokens).Add(now_ms)});
    }
    if (items.empty()) return Status();
    return c.RunBatch(items, /*commit=*/false).status();
  });
}

Status PgBatchStore::Forget(const std::string& job_id) {
  return pool_.Transaction([&](PgConn& c) -> Status {
    return c
        .RunBatch(
            {{kPgForgetChunks, PgParams().Add(job_id)}, {kPgForgetJob, PgParams().Add(job_id)}},
            /*commit=*/false)
        .status();
  });
}

Result<bool> PgBatchStore::Lead(const std::string& holder, int64_t now_ms, int64_t lease_ms) {
  auto conn = pool_.Acquire();
  if (!conn.ok()) return conn.status();
  auto res = (*conn)->Query(kPgLead, PgParams().Add(holder).Add(now_ms).Add(now_ms + lease_ms));
  if (!res.ok()) return res.status();
  return res->Affected() > 0;
}

Result<std::vector<QueuedChunk>> PgBatchStore::Chunks(const char* sql, const PgParams& params) {
  auto conn = pool_.Acquire();
  if (!conn.ok()) return conn.status();
  auto res = (*conn)->Query(sql, params);
  if (!res.ok()) return res.status();
  std::vector<QueuedChunk> out;
  for (int i = 0; i < res->rows(); ++i) {
    out.push_back({res->Text(i, 0), res->Text(i, 1), res->Text(i, 2), res->Text(i, 3),
                   res->Text(i, 4), res->Text(i, 5), static_cast<int>(res->Int(i, 6)),
                   res->Int(i, 7), static_cast<int>(res->Int(i, 8)), res->Int(i, 9)});
  }
  return out;
}

Result<std::vector<QueuedChunk>> PgBatchStore::ListWaiting(int64_t limit) {
  return Chunks(kPgListWaiting, PgParams().Add(limit));
}

Result<std::vector<QueuedChunk>> PgBatchStore::RunChunks(const std::string& run_id) {
  return Chunks(kPgRunChunks, PgParams().Add(run_id));
}

Status PgBatchStore::CreateRun(const BatchRun& run, const std::vector<QueuedChunk>& chunks,
                               const std::vector<RunReservation>& reservations) {
  return pool_.Transaction([&](PgConn& c) -> Status {
    std::vector<pg::BatchItem> items;
    items.push_back({kPgInsertRun, PgParams()
                                       .Add(run.id)
                                       .Add(run.model)
                                       .Add(run.input_file_id)
                                       .Add(run.batch_id)
                                       .Add(run.status)
                                       .Add(run.created_at_ms)});
    for (const QueuedChunk& q : chunks) {
      items.push_back({kPgSubmitChunk, PgParams().Add(q.job_id).Add(q.chunk_id).Add(run.id)});
    }
    for (const RunReservation& r : reservations) {
      items.push_back(
          {kPgInsertReservation, PgParams().Add(run.id).Add(r.job_id).Add(r.reservation_id)});
    }
    return c.RunBatch(items, /*commit=*/false).status();
  });
}

Result<std::vector<BatchRun>> PgBatchStore::OpenRuns() {
  auto conn = pool_.Acquire();
  if (!conn.ok()) return conn.status();
  auto res = (*conn)->Query(kPgOpenRuns, PgParams());
  if (!res.ok()) return res.status();
  std::vector<BatchRun> out;
  for (int i = 0; i < res->rows(); ++i) {
    out.push_back({res->Text(i, 0), res->Text(i, 1), res->Text(i, 2), res->Text(i, 3),
                   res->Text(i, 4), res->Int(i, 5)});
  }
  return out;
}

Status PgBatchStore::UpdateRun(const BatchRun& run) {
  auto conn = pool_.Acquire();
  if (!conn.ok()) return conn.status();
  return (*conn)
      ->Query(kPgUpdateRun,
              PgParams().Add(run.id).Add(run.input_file_id).Add(run.batch_id).Add(run.status))
      .status();
}

Result<std::vector<RunReservation>> PgBatchStore::RunReservations(const std::string& run_id) {
  auto conn = pool_.Acquire();
  if (!conn.ok()) return conn.status();
  auto res = (*conn)->Query(kPgRunReservations, PgParams().Add(run_id));
  if (!res.ok()) return res.status();
  std::vector<RunReservation> out;
  for (int i = 0; i < res->rows(); ++i) out.push_back({res->Text(i, 0), res->Text(i, 1)});
  return out;
}

Result<std::vector<std::string>> PgBatchStore::FinishRun(const std::string& run_id,
                                                         const std::string& status,
                                                         const std::vector<LineOutcome>& outcomes) {
  return pool_.Transaction([&](PgConn& c) -> Result<std::vector<std::string>> {
    std::vector<pg::BatchItem> items;
    for (const LineOutcome& o : outcomes) {
      if (!o.vector.empty()) {
        items.push_back({kPgChunkDone, PgParams()
                                           .Add(o.job_id)
                                           .Add(o.chunk_id)
                                           .AddBytes(EncodeFloat32Le(o.vector))
                                           .Add(o.tokens)
                                           .Add(run_id)});
      } else {
        items.push_back({o.again ? kPgChunkAgain : kPgChunkFailed,
                         PgParams().Add(o.job_id).Add(o.chunk_id).Add(run_id)});
      }
    }
    items.push_back({kPgRunLeftovers, PgParams().Add(run_id)});
    items.push_back({kPgFinishRun, PgParams().Add(run_id).Add(status)});
    if (auto ran = c.RunBatch(items, /*commit=*/false); !ran.ok()) return ran.status();
    auto res = c.Query(kPgSettledJobs, PgParams().Add(run_id));
    if (!res.ok()) return res.status();
    std::vector<std::string> settled;
    for (int i = 0; i < res->rows(); ++i) settled.push_back(res->Text(i, 0));
    return settled;
  });
}

}  // namespace ingestd
