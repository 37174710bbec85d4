#include "db/pg_pool.h"

namespace ingestd::pg {

PooledConn::~PooledConn() {
  if (conn_) pool_->Release(std::move(conn_));
}

Result<PooledConn> PgPool::Acquire() {
  std::unique_lock lock(mu_);
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(options_.acquire_timeout_ms);
  while (idle_.empty() && open_ >= options_.max_size) {
    if (freed_.wait_until(lock, deadline) == std::cv_status::timeout && idle_.empty() &&
        open_ >= options_.max_size) {
      return Status::Unavailable("DB_BUSY", "no database connection became free in time");
    }
  }
  if (!idle_.empty()) {
    std::unique_ptr<PgConn> conn = std::move(idle_.back());
    idle_.pop_back();
    return PooledConn(this, std::move(conn));
  }
  ++open_;  // reserve the slot, connect without the lock
  lock.unlock();
  Result<std::unique_ptr<PgConn>> conn = PgConn::Connect(url_);
  if (!conn.ok()) {
    lock.lock();
    --open_;
    freed_.notify_one();
    return conn.status();
  }
  return PooledConn(this, std::move(*conn));
}

void PgPool::Release(std::unique_ptr<PgConn> conn) {
  // A connection left inside a transaction (a caller bailed out early) is reset first.
  if (conn->healthy() && PQtransactionStatus(conn->raw()) != PQTRANS_IDLE) {
    conn->Exec("ROLLBACK");
  }
  std::lock_guard lock(mu_);
  if (conn->healthy() && PQtransactionStatus(conn->raw()) == PQTRANS_IDLE) {
    idle_.push_back(std::move(conn));
  } else {
    --open_;  // dropped: the next Acquire opens a fresh one
  }
  freed_.notify_one();
}

}  // namespace ingestd::pg
