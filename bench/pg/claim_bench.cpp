// claim_bench: claim-and-complete throughput of the PostgreSQL Store with trivial stages.
//
//   claim_bench --url URL --jobs N [--workers W] [--seed-only]
//
// Migrates the (empty) database at URL and seeds N queued jobs in one statement. With
// --seed-only it stops there (bench/pg/run.sh then runs pgbench's raw SKIP LOCKED loop on
// the same rows). Otherwise W threads, each with its own worker id, loop
// Store::ClaimNext → Store::CommitStage(complete, done, one event) until no job is left,
// and it prints one line:
//   CLAIM workers=W jobs=N seconds=S per_s=R
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "db/pg_conn.h"
#include "store/postgres/pg_store.h"

namespace {

using ingestd::JobStatus;
using ingestd::QueueState;

// Documents and jobs shaped like real uploads, oldest first.
constexpr char kSeed[] =
    "INSERT INTO documents (id, user_id, filename, mime, size_bytes, sha256, created_at)"
    " SELECT 'd' || g, 'bench', 'b.pdf', 'application/pdf', 1, 'sha' || g, g"
    " FROM generate_series(1, $1::integer) g;"
    "INSERT INTO jobs (id, document_id, user_id, status, state, correlation_id, created_at,"
    " updated_at) SELECT 'j' || lpad(g::text, 9, '0'), 'd' || g, 'bench', 'uploaded', 'queued',"
    " 'c' || g, g, g FROM generate_series(1, $1::integer) g";

int Usage() {
  std::fprintf(stderr, "usage: claim_bench --url URL --jobs N [--workers W] [--seed-only]\n");
  return 2;
}

bool Seed(const std::string& url, int jobs) {
  auto conn = ingestd::pg::PgConn::Connect(url);
  if (!conn.ok()) return false;
  // Two statements with parameters: run them one by one through PQexecParams.
  std::string all = kSeed;
  size_t split = all.find(';');
  for (std::string sql : {all.substr(0, split), all.substr(split + 1)}) {
    std::string n = std::to_string(jobs);
    const char* values[] = {n.c_str()};
    PGresult* r =
        PQexecParams((*conn)->raw(), sql.c_str(), 1, nullptr, values, nullptr, nullptr, 0);
    bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    if (!ok) std::fprintf(stderr, "seed: %s\n", PQerrorMessage((*conn)->raw()));
    PQclear(r);
    if (!ok) return false;
  }
  return (*conn)->Exec("VACUUM ANALYZE jobs").ok();
}

}  // namespace

int main(int argc, char** argv) {
  std::string url;
  int jobs = 0, workers = 1;
  bool seed_only = false;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--url") == 0 && i + 1 < argc) {
      url = argv[++i];
    } else if (std::strcmp(argv[i], "--jobs") == 0 && i + 1 < argc) {
      jobs = std::atoi(argv[++i]);
    } else if (std::strcmp(argv[i], "--workers") == 0 && i + 1 < argc) {
      workers = std::atoi(argv[++i]);
    } else if (std::strcmp(argv[i], "--seed-only") == 0) {
      seed_only = true;
    } else {
      return Usage();
    }
  }
  if (url.empty() || jobs < 1 || workers < 1) return Usage();

  ingestd::pg::PgStoreOptions options;
  options.pool.max_size = workers;
  auto store = ingestd::pg::PgStore::Open(url, options);
  if (!store.ok() || !(*store)->Migrate().ok() || !Seed(url, jobs)) {
    std::fprintf(stderr, "claim_bench: cannot prepare %s\n", url.c_str());
    return 1;
  }
  if (seed_only) return 0;

  std::atomic<int> completed{0}, errors{0};
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  for (int w = 0; w < workers; ++w) {
    threads.emplace_back([&, w] {
      const std::string id = "bench-" + std::to_string(w);
      for (int64_t now = 1'000'000;; ++now) {
        auto job = (*store)->ClaimNext(id, now, 60'000);
        if (!job.ok()) {
          ++errors;
          continue;
        }
        if (!job->has_value()) return;
        ingestd::StageCommit c;
        c.job_id = (**job).id;
        c.worker_id = id;
        c.to = JobStatus::kComplete;
        c.next_state = QueueState::kDone;
        c.events = {ingestd::Event{0, "", "", "finalized", "JOB_COMPLETED", "finalize", {}, now}};
        c.now_ms = now;
        if ((*store)->CommitStage(c).ok()) {
          ++completed;
        } else {
          ++errors;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("CLAIM workers=%d jobs=%d completed=%d errors=%d seconds=%.3f per_s=%.0f\n", workers,
              jobs, completed.load(), errors.load(), seconds, completed.load() / seconds);
  return completed.load() == jobs ? 0 : 1;
}
