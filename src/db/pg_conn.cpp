#include "db/pg_conn.h"

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
  if (begin_pending_) {
    begin_pending_ = false;
    const std::string_view v = sql;
    if (v == "COMMIT" || v == "ROLLBACK") return Status();  // nothing was sent
    std::string both = std::string("BEGIN; ") + sql;
    PGresult* raw = PQexec(conn_, both.c_str());
    PgResult owner(raw);
    return Check(raw, sql);
  }
  PGresult* raw = PQexec(conn_, sql);
  PgResult owner(raw);
  return Check(raw, sql);
}

Result<const std::string*> PgConn::Prepared(const char* sql) {
  auto it = prepared_.find(sql);
  if (it == prepared_.end()) {
    std::string name = std::to_string(prepared_.size());
    name.insert(name.begin(), 's');  // (operator+ trips GCC 12's -Wrestrict false positive)
    PGresult* raw = PQprepare(conn_, name.c_str(), sql, 0, nullptr);
    PgResult owner(raw);
    if (Status s = Check(raw, sql); !s.ok()) return s;
    it = prepared_.emplace(sql, std::move(name)).first;
  }
  return &it->second;
}

Result<PgResult> PgConn::Query(const char* sql, const PgParams& params, ResultFormat format) {
  if (begin_pending_) {
    begin_pending_ = false;
    Result<std::vector<PgResult>> r = Pipeline({{"BEGIN", nullptr}, {sql, &params}}, format);
    if (!r.ok()) return r.status();
    return std::move(r->back());
  }
  Result<const std::string*> name = Prepared(sql);
  if (!name.ok()) return name.status();
  std::vector<const char*> values = params.Values();
  PGresult* raw = PQexecPrepared(conn_, (*name)->c_str(), params.size(), values.data(),
                                 params.Lengths(), params.Formats(), static_cast<int>(format));
  PgResult res(raw);
  if (Status s = Check(raw, sql); !s.ok()) return s;
  return res;
}

Result<std::vector<int64_t>> PgConn::RunBatch(const std::vector<BatchItem>& items, bool commit) {
  std::vector<Step> steps;
  const bool begin = begin_pending_;
  begin_pending_ = false;
  if (begin) steps.push_back({"BEGIN", nullptr});
  for (const BatchItem& item : items) steps.push_back({item.sql, &item.params});
  if (commit) steps.push_back({"COMMIT", nullptr});
  Result<std::vector<PgResult>> results = Pipeline(steps, ResultFormat::kText);
  if (!results.ok()) return results.status();
  std::vector<int64_t> affected;
  for (size_t i = 0; i < items.size(); ++i) affected.push_back((*results)[i + begin].Affected());
  return affected;
}

Result<std::vector<PgResult>> PgConn::Pipeline(const std::vector<Step>& steps,
                                               ResultFormat format) {
  std::vector<const std::string*> names;
  for (const Step& step : steps) {  // prepared outside the pipeline, once per connection
    if (step.params == nullptr) {
      names.push_back(nullptr);
      continue;
    }
    Result<const std::string*> name = Prepared(step.sql);
    if (!name.ok()) return name.status();
    names.push_back(*name);
  }
  if (PQenterPipelineMode(conn_) != 1) return Check(nullptr, "enter pipeline mode");
  bool sent = true;
  for (size_t i = 0; i < steps.size() && sent; ++i) {
    if (names[i] == nullptr) {
      sent = PQsendQueryParams(conn_, steps[i].sql, 0, nullptr, nullptr, nullptr, nullptr, 0) == 1;
    } else {
      const PgParams& p = *steps[i].params;
      std::vector<const char*> values = p.Values();
      sent = PQsendQueryPrepared(conn_, names[i]->c_str(), p.size(), values.data(), p.Lengths(),
                                 p.Formats(), static_cast<int>(format)) == 1;
    }
  }
  sent = sent && PQpipelineSync(conn_) == 1;
  std::vector<PgResult> results;
  Status first_error;
  for (size_t i = 0; i < steps.size() && sent; ++i) {
    PGresult* raw = PQgetResult(conn_);
    if (raw == nullptr) {
      sent = false;
      break;
    }
    PgResult owner(raw);
    // Steps after a failure come back PGRES_PIPELINE_ABORTED; the first failure is the news.
    if (first_error.ok()) first_error = Check(raw, steps[i].sql);
    results.push_back(std::move(owner));
    while (PGresult* end = PQgetResult(conn_)) PQclear(end);  // NULL ends each step
  }
  if (sent) {
    PgResult sync(PQgetResult(conn_));  // PGRES_PIPELINE_SYNC
    sent = PQexitPipelineMode(conn_) == 1;
  }
  if (!sent) {
    // Lost track of the protocol (usually a broken connection): never reuse this one.
    poisoned_ = true;
    if (first_error.ok()) first_error = Check(nullptr, "pipeline");
  }
  if (!first_error.ok()) return first_error;
  return results;
}

}  // namespace ingestd::pg
