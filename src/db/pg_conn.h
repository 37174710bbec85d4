// A thin RAII layer over the libpq C API: results that free themselves, parameter lists,
// and a connection that prepares each statement once (keyed by the SQL constant's address).
//
// Thread safety: a PgConn must be used by one thread at a time (PgPool hands each out to
// one caller). Errors come back as Status (PgError below); the SQLSTATE of the last failure
// stays readable for callers that retry on serialization failures and deadlocks. Details
// (server messages) go to the log, never into Status messages.
#pragma once

#include <libpq-fe.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/status.h"

namespace ingestd::pg {

// SQLSTATEs the store reacts to.
inline constexpr std::string_view kSerializationFailure = "40001";
inline constexpr std::string_view kDeadlockDetected = "40P01";

// Positional parameters ($1, $2, …) in libpq's text format; bytes (bytea) go in binary.
class PgParams {
 public:
  PgParams& Add(std::string_view text);
  PgParams& Add(const char* text) { return Add(std::string_view(text)); }
  PgParams& Add(const std::string& text) { return Add(std::string_view(text)); }
  PgParams& Add(int64_t value);
  PgParams& Add(int value) { return Add(static_cast<int64_t>(value)); }
  PgParams& AddBytes(std::string_view bytes);
  PgParams& AddNull();
  template <typename T>
  PgParams& Add(const std::optional<T>& v) {
    return v ? Add(*v) : AddNull();
  }

  int size() const { return static_cast<int>(values_.size()); }
  // Views for PQexecPrepared; valid until the next Add.
  std::vector<const char*> Values() const;
  const int* Lengths() const { return lengths_.data(); }
  const int* Formats() const { return formats_.data(); }

 private:
  std::vector<std::optional<std::string>> values_;
  std::vector<int> lengths_;
  std::vector<int> formats_;
};

// Owns a PGresult. Columns are 0-based.
class PgResult {
 public:
  explicit PgResult(PGresult* res) : res_(res) {}
  PgResult(PgResult&& other) noexcept : res_(other.res_) { other.res_ = nullptr; }
  PgResult& operator=(PgResult&& other) noexcept;
  PgResult(const PgResult&) = delete;
  ~PgResult();

  int rows() const { return PQntuples(res_); }
  bool IsNull(int row, int col) const { return PQgetisnull(res_, row, col) != 0; }
  std::string Text(int row, int col) const;
  // The raw bytes of a binary-format column (bytea in a kBinary result).
  std::string_view Bytes(int row, int col) const;
  // A text-format integer column; 0 for NULL.
  int64_t Int(int row, int col) const;
  // Rows an INSERT/UPDATE/DELETE changed.
  int64_t Affected() const;

 private:
  PGresult* res_;
};

enum class ResultFormat { kText = 0, kBinary = 1 };

// One statement of a PgConn::RunBatch: sql must have static storage (see Query).
struct BatchItem {
  const char* sql;
  PgParams params;
};

class PgConn {
 public:
  // Connects to a libpq URL ("postgresql://…" or "postgres://…").
  static Result<std::unique_ptr<PgConn>> Connect(const std::string& url);
  ~PgConn();
  PgConn(const PgConn&) = delete;
  PgConn& operator=(const PgConn&) = delete;

  // One or more statements without parameters or wanted results (DDL, BEGIN, COMMIT…).
  Status Exec(const char* sql);
  // Runs sql (which must have static storage: statements are prepared once per connection,
  // keyed by its address) with params.
  Result<PgResult> Query(const char* sql, const PgParams& params,
                         ResultFormat format = ResultFormat::kText);

  // Runs items in order in one round trip (libpq pipeline mode), then COMMIT when commit is
  // set. The server skips everything after a failed statement; the failure is reported as
  // Query reports it. Returns the rows each item changed.
  Result<std::vector<int64_t>> RunBatch(const std::vector<BatchItem>& items, bool commit);

  // Opens a transaction lazily: BEGIN goes out in the same round trip as the next Query or
  // RunBatch (Exec of COMMIT/ROLLBACK before that just cancels it). Saves a round trip per
  // transaction.
  void BeginWithNext() { begin_pending_ = true; }
  void CancelPendingBegin() { begin_pending_ = false; }
  // Inside a transaction the server knows of (not merely a pending BEGIN).
  bool InTransaction() const {
    return PQtransactionStatus(conn_) == PQTRANS_INTRANS ||
           PQtransactionStatus(conn_) == PQTRANS_INERROR;
  }

  // False once the server connection broke (or a pipeline ended in an unknown state); the
  // pool then drops the connection.
  bool healthy() const { return !poisoned_ && PQstatus(conn_) == CONNECTION_OK; }
  // The SQLSTATE of the latest failed command ("" when it succeeded or failed locally).
  const std::string& last_sqlstate() const { return last_sqlstate_; }
  PGconn* raw() { return conn_; }

 private:
  explicit PgConn(PGconn* conn) : conn_(conn) {}
  // Maps a result to OK or the Status of its failure, recording the SQLSTATE.
  Status Check(PGresult* res, std::string_view what);
  // The prepared statement name of sql, preparing it on first use.
  Result<const std::string*> Prepared(const char* sql);
  // One statement of a pipeline: a prepared sql with params, or (params == nullptr) a
  // parameterless literal such as BEGIN.
  struct Step {
    const char* sql;
    const PgParams* params;
  };
  // Sends steps in one pipeline and returns every step's result; the first failure wins.
  Result<std::vector<PgResult>> Pipeline(const std::vector<Step>& steps, ResultFormat format);

  PGconn* conn_;
  bool begin_pending_ = false;
  bool poisoned_ = false;
  std::unordered_map<const char*, std::string> prepared_;  // sql address → statement name
  std::string last_sqlstate_;
};

// The Status for a failed command: 40001/40P01/55P03/57014 → kUnavailable "DB_BUSY";
// class 08, 53300, 57P0x or a broken connection → kUnavailable "DB_UNAVAILABLE"; class 23 →
// kInvalidArgument "DB_CONSTRAINT_VIOLATION"; anything else kInternal "DB_ERROR".
Status PgError(std::string_view sqlstate, bool connection_broken);

}  // namespace ingestd::pg
