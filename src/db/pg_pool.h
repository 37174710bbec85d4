// PgPool: a bounded pool of PgConns to one database, and transactions that retry on
// serialization failures and deadlocks.
//
// Acquire() hands out an idle connection, opens a new one while fewer than max_size exist,
// or waits up to acquire_timeout_ms (then kUnavailable "DB_BUSY"). A connection found
// broken when it comes back is dropped, so a restarted server costs one failed call per
// pooled connection at most. Thread-safe; the pool must outlive every PooledConn.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "db/pg_conn.h"

namespace ingestd::pg {

struct PgPoolOptions {
  // Connections this process opens at most. Each worker thread and API handler holds one
  // only for the length of one store call, so a few serve many threads; the server's
  // max_connections is shared by every process.
  int max_size = 8;
  // How long a caller waits for a free connection before failing with DB_BUSY.
  int64_t acquire_timeout_ms = 5000;
  // Attempts of a transaction that keeps failing with 40001/40P01 (then DB_BUSY).
  int max_txn_attempts = 5;
};

class PgPool;

// A connection borrowed from the pool; returned on destruction.
class PooledConn {
 public:
  PooledConn(PgPool* pool, std::unique_ptr<PgConn> conn) : pool_(pool), conn_(std::move(conn)) {}
  PooledConn(PooledConn&& other) noexcept = default;
  PooledConn& operator=(PooledConn&&) = delete;
  ~PooledConn();
  PgConn& operator*() { return *conn_; }
  PgConn* operator->() { return conn_.get(); }

 private:
  PgPool* pool_;
  std::unique_ptr<PgConn> conn_;
};

class PgPool {
 public:
  PgPool(std::string url, PgPoolOptions options) : url_(std::move(url)), options_(options) {}

  Result<PooledConn> Acquire();
  const std::string& url() const { return url_; }
  const PgPoolOptions& options() const { return options_; }

  // Runs fn(conn) inside BEGIN … COMMIT (BEGIN rides along with fn's first statement, and
  // fn may end with PgConn::RunBatch(…, commit=true) to send COMMIT with its last writes);
  // rolls back when fn fails. A transaction that fails
  // with a serialization failure or deadlock (fn's statements or the COMMIT) is rolled back
  // and run again, up to max_txn_attempts times. fn returns Status or Result<T> and must be
  // safe to run again (it only touches the database).
  template <typename F>
  auto Transaction(F&& fn) -> decltype(fn(std::declval<PgConn&>()));

 private:
  friend class PooledConn;
  void Release(std::unique_ptr<PgConn> conn);

  const std::string url_;
  const PgPoolOptions options_;
  std::mutex mu_;
  std::condition_variable freed_;
  std::vector<std::unique_ptr<PgConn>> idle_;  // guarded by mu_
  int open_ = 0;                               // guarded by mu_; idle + borrowed
};

// True when a failed transaction may succeed when simply run again.
inline bool IsRetryableTxnFailure(const PgConn& conn) {
  return conn.last_sqlstate() == kSerializationFailure || conn.last_sqlstate() == kDeadlockDetected;
}

template <typename F>
auto PgPool::Transaction(F&& fn) -> decltype(fn(std::declval<PgConn&>())) {
  for (int attempt = 1;; ++attempt) {
    Result<PooledConn> conn = Acquire();
    if (!conn.ok()) return conn.status();
    PgConn& c = **conn;
    c.BeginWithNext();  // BEGIN travels with fn's first statement
    auto result = fn(c);
    // fn may have committed itself (RunBatch with commit); then there is nothing left.
    Status s = result.ok() && c.InTransaction() ? c.Exec("COMMIT") : Status();
    c.CancelPendingBegin();  // fn ran no statement at all
    if (result.ok() && s.ok()) return result;
    // A lost connection before COMMIT means the server rolled back: safe to run again. A
    // failed COMMIT on a lost connection may have committed, so it is not retried.
    const bool retry = (IsRetryableTxnFailure(c) || (!result.ok() && !c.healthy())) &&
                       attempt < options_.max_txn_attempts;
    if (c.InTransaction()) c.Exec("ROLLBACK");
    if (!retry) {
      if (!result.ok()) return result;
      return s;
    }
    // Brief, growing pause so the competing transaction can finish first.
    std::this_thread::sleep_for(std::chrono::milliseconds(attempt * 2));
  }
}

}  // namespace ingestd::pg
