#include "batch/sqlite_batch_store.h"

#include "db/sqlite_subsystem_db.h"
#include "store/vector_codec.h"

namespace ingestd {
namespace {

using sqlite::Stmt;
using sqlite::Txn;

constexpr int kBusyTimeoutMs = 10'000;

// Schema versions of MigrateSubsystem: append, never edit an applied one.
constexpr char kMigration1[] = R"sql(
CREATE TABLE batch_jobs (
  job_id         TEXT PRIMARY KEY,
  document_id    TEXT NOT NULL,
  user_id        TEXT NOT NULL,
  correlation_id TEXT NOT NULL,
  priority       INTEGER NOT NULL,
  enqueued_at    INTEGER NOT NULL
);
CREATE TABLE batch_chunks (
  job_id      TEXT NOT NULL,
  chunk_id    TEXT NOT NULL,
  text_sha256 TEXT NOT NULL,
  tokens      INTEGER NOT NULL,
  state       TEXT NOT NULL,  -- waiting | submitted | done | failed
  run_id      TEXT NOT NULL DEFAULT '',
  attempts    INTEGER NOT NULL DEFAULT 0,
  vector      BLOB,
  enqueued_at INTEGER NOT NULL,
  PRIMARY KEY (job_id, chunk_id)
);
CREATE INDEX batch_chunks_waiting ON batch_chunks (state, enqueued_at);
CREATE INDEX batch_chunks_run ON batch_chunks (run_id);
CREATE TABLE batch_runs (
  id            TEXT PRIMARY KEY,
  model         TEXT NOT NULL,
  input_file_id TEXT NOT NULL DEFAULT '',
  batch_id      TEXT NOT NULL DEFAULT '',
  status        TEXT NOT NULL DEFAULT '',
  finished      INTEGER NOT NULL DEFAULT 0,
  created_at    INTEGER NOT NULL
);
CREATE TABLE batch_reservations (
  run_id         TEXT NOT NULL,
  job_id         TEXT NOT NULL,
  reservation_id TEXT NOT NULL,
  PRIMARY KEY (run_id, job_id)
);
CREATE TABLE batch_leader (
  id          INTEGER PRIMARY KEY CHECK (id = 1),
  holder      TEXT NOT NULL,
  lease_until INTEGER NOT NULL
);
)sql";

#define INGESTD_QUEUED_CHUNK_COLUMNS                                                       \
  "c.job_id, c.chunk_id, c.text_sha256, j.document_id, j.user_id, j.correlation_id, "      \
  "j.priority, c.tokens, c.attempts, c.enqueued_at FROM batch_chunks c JOIN batch_jobs j " \
  "ON j.job_id = c.job_id"

constexpr char kJobKnown[] = "SELECT count(*) FROM batch_jobs WHERE job_id = ?1";
constexpr char kInsertJob[] =
    "INSERT INTO batch_jobs (job_id, document_id, user_id, correlation_id, priority, "
    "enqueued_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT DO NOTHING";
constexpr char kInsertChunk[] =
    "INSERT INTO batch_chunks (job_id, chunk_id, text_sha256, tokens, state, enqueued_at) "
    "VALUES (?1, ?2, ?3, ?4, 'waiting', ?5) ON CONFLICT DO NOTHING";
constexpr char kJobChunks[] =
    "SELECT chunk_id, state, vector, tokens, text_sha256 FROM batch_chunks WHERE job_id = ?1";
constexpr char kForgetChunks[] = "DELETE FROM batch_chunks WHERE job_id = ?1";
constexpr char kForgetJob[] = "DELETE FROM batch_jobs WHERE job_id = ?1";
constexpr char kLead[] =
    "INSERT INTO batch_leader (id, holder, lease_until) VALUES (1, ?1, ?3) "
    "ON CONFLICT (id) DO UPDATE SET holder = excluded.holder, lease_until = excluded.lease_until "
    "WHERE batch_leader.holder = ?1 OR batch_leader.lease_until <= ?2";
constexpr char kListWaiting[] = "SELECT " INGESTD_QUEUED_CHUNK_COLUMNS
                                " WHERE c.state = 'waiting'"
                                " ORDER BY c.enqueued_at, c.job_id, c.chunk_id LIMIT ?1";
constexpr char kRunChunks[] = "SELECT " INGESTD_QUEUED_CHUNK_COLUMNS
                              " WHERE c.run_id = ?1 AND c.state = 'submitted'"
                              " ORDER BY c.job_id, c.chunk_id";
constexpr char kInsertRun[] =
    "INSERT INTO batch_runs (id, model, input_file_id, batch_id, status, created_at) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
constexpr char kSubmitChunk[] =
    "UPDATE batch_chunks SET state = 'submitted', run_id = ?3 "
    "WHERE job_id = ?1 AND chunk_id = ?2 AND state = 'waiting'";
constexpr char kInsertReservation[] =
    "INSERT INTO batch_reservations (run_id, job_id, reservation_id) VALUES (?1, ?2, ?3)";
constexpr char kOpenRuns[] =
    "SELECT id, model, input_file_id, batch_id, status, created_at FROM batch_runs "
    "WHERE finished = 0 ORDER BY created_at, id";
constexpr char kUpdateRun[] =
    "UPDATE batch_runs SET input_file_id = ?2, batch_id = ?3, status = ?4 WHERE id = ?1";
constexpr char kRunReservations[] =
    "SELECT job_id, reservation_id FROM batch_reservations WHERE run_id = ?1 ORDER BY job_id";
constexpr char kChunkDone[] =
    "UPDATE batch_chunks SET state = 'done', vector = ?3, tokens = ?4 "
    "WHERE job_id = ?1 AND chunk_id = ?2 AND run_id = ?5 AND state = 'submitted'";
constexpr char kChunkAgain[] =
    "UPDATE batch_chunks SET state = 'waiting', run_id = '', attempts = attempts + 1 "
    "WHERE job_id = ?1 AND chunk_id = ?2 AND run_id = ?3 AND state = 'submitted'";
constexpr char kChunkFailed[] =
    "UPDATE batch_chunks SET state = 'failed', attempts = attempts + 1 "
    "WHERE job_id = ?1 AND chunk_id = ?2 AND run_id = ?3 AND state = 'submitted'";
// Chunks of the run no outcome named (an answer that lost them) are failed too.
constexpr char kRunLeftovers[] =
    "UPDATE batch_chunks SET state = 'failed', attempts = attempts + 1 "
    "WHERE run_id = ?1 AND state = 'submitted'";
constexpr char kFinishRun[] = "UPDATE batch_runs SET status = ?2, finished = 1 WHERE id = ?1";
constexpr char kSettledJobs[] =
    "SELECT DISTINCT r.job_id FROM batch_reservations r WHERE r.run_id = ?1 AND NOT EXISTS "
    "(SELECT 1 FROM batch_chunks c WHERE c.job_id = r.job_id "
    " AND c.state IN ('waiting', 'submitted')) ORDER BY r.job_id";

}  // namespace

Result<std::unique_ptr<SqliteBatchStore>> SqliteBatchStore::Open(const std::string& path,
                                                                 std::string model) {
  auto conn = sqlite::OpenSubsystemDb(path, kBusyTimeoutMs);
  if (!conn.ok()) return conn.status();
  const char* const migrations[] = {kMigration1};
  if (Status s = sqlite::MigrateSubsystem(**conn, "batch", migrations); !s.ok()) return s;
  return std::unique_ptr<SqliteBatchStore>(
      new SqliteBatchStore(std::move(*conn), std::move(model)));
}

Result<BatchTurn> SqliteBatchStore::Turn(const std::string& job_id) {
  std::lock_guard lock(mu_);
  auto txn = Txn::Begin(*conn_, Txn::Mode::kDeferred);
  if (!txn.ok()) return txn.status();
  auto known = conn_->Prepare(kJobKnown);
  if (!known.ok()) return known.status();
  auto row = known->Bind(1, job_id).Step();
  if (!row.ok()) return row.status();
  BatchTurn turn;
  if (known->Int(0) == 0) return turn;
  auto sel = conn_->Prepare(kJobChunks);
  if (!sel.ok()) return sel.status();
  TurnFolder fold(model_);
  Status rows = sel->Bind(1, job_id).ForEachRow(
      [&] { fold.Add(sel->Text(1), sel->Text(0), sel->Blob(2), sel->Int(3), sel->Text(4)); });
  if (!rows.ok()) return rows;
  return fold.Finish();
}

Status SqliteBatchStore::Enqueue(const Job& job, const std::vector<BatchedChunk>& chunks,
                                 int64_t now_ms) {
  std::lock_guard lock(mu_);
  auto txn = Txn::Begin(*conn_, Txn::Mode::kImmediate);
  if (!txn.ok()) return txn.status();
  auto ins = conn_->Prepare(kInsertJob);
  if (!ins.ok()) return ins.status();
  if (Status s = ins->Bind(1, job.id)
                     .Bind(2, job.document_id)
                     .Bind(3, job.user_id)
                     .Bind(4, job.correlation_id)
                     .Bind(5, job.processing_priority)
                     .Bind(6, now_ms)
                     .Run();
      !s.ok()) {
    return s;
  }
  if (conn_->Changes() == 0) return Status();  // known already: nothing changes
  for (const BatchedChunk& c : chunks) {
    auto chunk = conn_->Prepare(kInsertChunk);
    if (!chunk.ok()) return chunk.status();
    Status s = chunk->Bind(1, job.id)
                   .Bind(2, c.chunk_id)
                   .Bind(3, c.text_sha256)
                   .Bind(4, c.tokens)
                   .Bind(5, now_ms)
                   .Run();
    if (!s.ok()) return s;
  }
  return txn->Commit();
}

Status SqliteBatchStore::Forget(const std::string& job_id) {
  std::lock_guard lock(mu_);
  auto txn = Txn::Begin(*conn_, Txn::Mode::kImmediate);
  if (!txn.ok()) return txn.status();
  for (const char* sql : {kForgetChunks, kForgetJob}) {
    auto del = conn_->Prepare(sql);
    if (!del.ok()) return del.status();
    if (Status s = del->Bind(1, job_id).Run(); !s.ok()) return s;
  }
  return txn->Commit();
}

Result<bool> SqliteBatchStore::Lead(const std::string& holder, int64_t now_ms, int64_t lease_ms) {
  std::lock_guard lock(mu_);
  auto up = conn_->Prepare(kLead);
  if (!up.ok()) return up.status();
  if (Status s = up->Bind(1, holder).Bind(2, now_ms).Bind(3, now_ms + lease_ms).Run(); !s.ok()) {
    return s;
  }
  return conn_->Changes() > 0;
}

Result<std::vector<QueuedChunk>> SqliteBatchStore::Chunks(
    const char* sql, const std::function<void(sqlite::Stmt&)>& bind) {
  std::lock_guard lock(mu_);
  auto sel = conn_->Prepare(sql);
  if (!sel.ok()) return sel.status();
  bind(*sel);
  std::vector<QueuedChunk> out;
  Status rows = sel->ForEachRow([&] {
    out.push_back({sel->Text(0), sel->Text(1), sel->Text(2), sel->Text(3), sel->Text(4),
                   sel->Text(5), static_cast<int>(sel->Int(6)), sel->Int(7),
                   static_cast<int>(sel->Int(8)), sel->Int(9)});
  });
  if (!rows.ok()) return rows;
  return out;
}

Result<std::vector<QueuedChunk>> SqliteBatchStore::ListWaiting(int64_t limit) {
  return Chunks(kListWaiting, [&](Stmt& s) { s.Bind(1, limit); });
}

Result<std::vector<QueuedChunk>> SqliteBatchStore::RunChunks(const std::string& run_id) {
  return Chunks(kRunChunks, [&](Stmt& s) { s.Bind(1, run_id); });
}

Status SqliteBatchStore::CreateRun(const BatchRun& run, const std::vector<QueuedChunk>& chunks,
                                   const std::vector<RunReservation>& reservations) {
  std::lock_guard lock(mu_);
  auto txn = Txn::Begin(*conn_, Txn::Mode::kImmediate);
  if (!txn.ok()) return txn.status();
  auto ins = conn_->Prepare(kInsertRun);
  if (!ins.ok()) return ins.status();
  if (Status s = ins->Bind(1, run.id)
                     .Bind(2, run.model)
                     .Bind(3, run.input_file_id)
                     .Bind(4, run.batch_id)
                     .Bind(5, run.status)
                     .Bind(6, run.created_at_ms)
                     .Run();
      !s.ok()) {
    return s;
  }
  for (const QueuedChunk& c : chunks) {
    auto up = conn_->Prepare(kSubmitChunk);
    if (!up.ok()) return up.status();
    if (Status s = up->Bind(1, c.job_id).Bind(2, c.chunk_id).Bind(3, run.id).Run(); !s.ok()) {
      return s;
    }
  }
  for (const RunReservation& r : reservations) {
    auto res = conn_->Prepare(kInsertReservation);
    if (!res.ok()) return res.status();
    if (Status s = res->Bind(1, run.id).Bind(2, r.job_id).Bind(3, r.reservation_id).Run();
        !s.ok()) {
      return s;
    }
  }
  return txn->Commit();
}

Result<std::vector<BatchRun>> SqliteBatchStore::OpenRuns() {
  std::lock_guard lock(mu_);
  auto sel = conn_->Prepare(kOpenRuns);
  if (!sel.ok()) return sel.status();
  std::vector<BatchRun> out;
  Status rows = sel->ForEachRow([&] {
    out.push_back(
        {sel->Text(0), sel->Text(1), sel->Text(2), sel->Text(3), sel->Text(4), sel->Int(5)});
  });
  if (!rows.ok()) return rows;
  return out;
}

Status SqliteBatchStore::UpdateRun(const BatchRun& run) {
  std::lock_guard lock(mu_);
  auto up = conn_->Prepare(kUpdateRun);
  if (!up.ok()) return up.status();
  return up->Bind(1, run.id)
      .Bind(2, run.input_file_id)
      .Bind(3, run.batch_id)
      .Bind(4, run.status)
      .Run();
}

Result<std::vector<RunReservation>> SqliteBatchStore::RunReservations(const std::string& run_id) {
  std::lock_guard lock(mu_);
  auto sel = conn_->Prepare(kRunReservations);
  if (!sel.ok()) return sel.status();
  std::vector<RunReservation> out;
  Status rows = sel->Bind(1, run_id).ForEachRow([&] {
    out.push_back({sel->Text(0), sel->Text(1)});
  });
  if (!rows.ok()) return rows;
  return out;
}

Result<std::vector<std::string>> SqliteBatchStore::FinishRun(
    const std::string& run_id, const std::string& status,
    const std::vector<LineOutcome>& outcomes) {
  std::lock_guard lock(mu_);
  auto txn = Txn::Begin(*conn_, Txn::Mode::kImmediate);
  if (!txn.ok()) return txn.status();
  for (const LineOutcome& o : outcomes) {
    Status s;
    if (!o.vector.empty()) {
      auto up = conn_->Prepare(kChunkDone);
      if (!up.ok()) return up.status();
      s = up->Bind(1, o.job_id)
              .Bind(2, o.chunk_id)
              .BindBlob(3, EncodeFloat32Le(o.vector))
              .Bind(4, o.tokens)
              .Bind(5, run_id)
              .Run();
    } else {
      auto up = conn_->Prepare(o.again ? kChunkAgain : kChunkFailed);
      if (!up.ok()) return up.status();
      s = up->Bind(1, o.job_id).Bind(2, o.chunk_id).Bind(3, run_id).Run();
    }
    if (!s.ok()) return s;
  }
  {
    auto up = conn_->Prepare(kRunLeftovers);
    if (!up.ok()) return up.status();
    if (Status s = up->Bind(1, run_id).Run(); !s.ok()) return s;
  }
  auto fin = conn_->Prepare(kFinishRun);
  if (!fin.ok()) return fin.status();
  if (Status s = fin->Bind(1, run_id).Bind(2, status).Run(); !s.ok()) return s;
  std::vector<std::string> settled;
  {
    auto sel = conn_->Prepare(kSettledJobs);
    if (!sel.ok()) return sel.status();
    Status rows = sel->Bind(1, run_id).ForEachRow([&] { settled.push_back(sel->Text(0)); });
    if (!rows.ok()) return rows;
  }
  if (Status c = txn->Commit(); !c.ok()) return c;
  return settled;
}

}  // namespace ingestd
