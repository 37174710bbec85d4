#include "store/postgres/pg_conn.h"

#include <charconv>

#include "core/log.h"

namespace ingestd::pg {

PgParams& PgParams::Add(std::string_view text) {
  values_.emplace_back(std::string(text));
  lengths_.push_back(static_cast<int>(text.size()));
  formats_.push_back(0);
  return *this;
}

PgParams& PgParams::Add(int64_t value) { return Add(std::to_string(value)); }

PgParams& PgParams::AddBytes(std::string_view bytes) {
  values_.emplace_back(std::string(bytes));
  lengths_.push_back(static_cast<int>(bytes.size()));
  formats_.push_back(1);
  return *this;
}

PgParams& PgParams::AddNull() {
  values_.emplace_back(std::nullopt);
  lengths_.push_back(0);
  formats_.push_back(0);
  return *this;
}

std::vector<const char*> PgParams::Values() const {
  std::vector<const char*> out;
  out.reserve(values_.size());
  for (const auto& v : values_) out.push_back(v ? v->data() : nullptr);
  return out;
}

PgResult& PgResult::operator=(PgResult&& other) noexcept {
  if (this != &other) {
    if (res_ != nullptr) PQclear(res_);
    res_ = other.res_;
    other.res_ = nullptr;
  }
  return *this;
}

PgResult::~PgResult() {
  if (res_ != nullptr) PQclear(res_);
}

std::string PgResult::Text(int row, int col) const {
  return std::string(PQgetvalue(res_, row, col), static_cast<size_t>(PQgetlength(res_, row, col)));
}

std::string_view PgResult::Bytes(int row, int col) const {
  return std::string_view(PQgetvalue(res_, row, col),
                          static_cast<size_t>(PQgetlength(res_, row, col)));
}

int64_t PgResult::Int(int row, int col) const {
  const char* v = PQgetvalue(res_, row, col);
  int64_t out = 0;
  std::from_chars(v, v + PQgetlength(res_, row, col), out);
  return out;
}

int64_t PgResult::Affected() const {
  const char* n = PQcmdTuples(res_);
  int64_t out = 0;
  std::from_chars(n, n + std::char_traits<char>::length(n), out);
  return out;
}

Status PgError(std::string_view sqlstate, bool connection_broken) {
  if (sqlstate == kSerializationFailure || sqlstate == kDeadlockDetected || sqlstate == "55P03" ||
      sqlstate == "57014") {
    return Status::Unavailable("DB_BUSY", "the database is busy; try again");
  }
  if (connection_broken || sqlstate.starts_with("08") || sqlstate == "53300" ||
      sqlstate.starts_with("57P0")) {
    return Status::Unavailable("DB_UNAVAILABLE", "the database server is unavailable");
  }
  if (sqlstate.starts_with("23")) {
    return Status::InvalidArgument("DB_CONSTRAINT_VIOLATION", "a database constraint failed");
  }
  return Status::Internal("DB_ERROR", "database error");
}

Result<std::unique_ptr<PgConn>> PgConn::Connect(const std::string& url) {
  PGconn* conn = PQconnectdb(url.c_str());
  if (conn == nullptr || PQstatus(conn) != CONNECTION_OK) {
    // The message may echo parts of the URL (host, user), never the password.
    log::Error("postgres connect failed",
               {{"error", conn != nullptr ? PQerrorMessage(conn) : "out of memory"}});
    if (conn != nullptr) PQfinish(conn);
    return PgError("", /*connection_broken=*/true);
  }
  // Server notices ("relation already exists, skipping") would go to stderr, which holds
  // our JSON log lines: drop them.
  PQsetNoticeProcessor(
      conn, [](void*, const char*) {}, nullptr);
  return std::unique_ptr<PgConn>(new PgConn(conn));
}

PgConn::~PgConn() { PQfinish(conn_); }

Status PgConn::Check(PGresult* res, std::string_view what) {
  ExecStatusType st = res != nullptr ? PQresultStatus(res) : PGRES_FATAL_ERROR;
  if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
    last_sqlstate_.clear();
    return Status();
  }
  const char* state = res != nullptr ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr;
  last_sqlstate_ = state != nullptr ? state : "";
  const bool broken = !healthy();
  // Serialization failures and deadlocks are retried by the caller: not worth a warning.
  if (last_sqlstate_ != kSerializationFailure && last_sqlstate_ != kDeadlockDetected) {
    log::Warn("postgres statement failed", {{"what", std::string(what.substr(0, 120))},
                                            {"sqlstate", last_sqlstate_},
                                            {"error", PQerrorMessage(conn_)}});
  }
  return PgError(last_sqlstate_, broken);
}

Status PgConn::Exec(const char* sql) {
  PGresult* raw = PQexec(conn_, sql);
  PgResult owner(raw);
  return Check(raw, sql);
}

Result<PgResult> PgConn::Query(const char* sql, const PgParams& params, ResultFormat format) {
  auto it = prepared_.find(sql);
  if (it == prepared_.end()) {
    std::string name = std::to_string(prepared_.size());
    name.insert(name.begin(), 's');  // (operator+ trips GCC 12's -Wrestrict false positive)
    PGresult* raw = PQprepare(conn_, name.c_str(), sql, 0, nullptr);
    PgResult owner(raw);
    if (Status s = Check(raw, sql); !s.ok()) return s;
    it = prepared_.emplace(sql, std::move(name)).first;
  }
  std::vector<const char*> values = params.Values();
  PGresult* raw = PQexecPrepared(conn_, it->second.c_str(), params.size(), values.data(),
                                 params.Lengths(), params.Formats(), static_cast<int>(format));
  PgResult res(raw);
  if (Status s = Check(raw, sql); !s.ok()) return s;
  return res;
}

}  // namespace ingestd::pg
