#include "harness/db_inspector.h"

#include <sqlite3.h>

#include <cstdlib>

namespace ingestd::itest {

DbInspector::DbInspector(const std::string& path) {
  int rc = sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READONLY, nullptr);
  if (rc != SQLITE_OK) {
    error_ = db_ != nullptr ? sqlite3_errmsg(db_) : "sqlite3_open_v2 failed";
    sqlite3_close(db_);
    db_ = nullptr;
    return;
  }
  sqlite3_busy_timeout(db_, 5000);
}

DbInspector::~DbInspector() { sqlite3_close(db_); }

std::vector<std::vector<std::string>> DbInspector::Query(const std::string& sql,
                                                         const std::vector<std::string>& params) {
  std::vector<std::vector<std::string>> rows;
  if (db_ == nullptr) return rows;
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) {
    error_ = std::string(sqlite3_errmsg(db_)) + " in: " + sql;
    return rows;
  }
  for (size_t i = 0; i < params.size(); ++i) {
    sqlite3_bind_text(stmt, static_cast<int>(i + 1), params[i].c_str(), -1, SQLITE_TRANSIENT);
  }
  int rc;
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    std::vector<std::string> row;
    for (int c = 0; c < sqlite3_column_count(stmt); ++c) {
      auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, c));
      row.emplace_back(text != nullptr ? text : "");
    }
    rows.push_back(std::move(row));
  }
  if (rc != SQLITE_DONE) error_ = std::string(sqlite3_errmsg(db_)) + " in: " + sql;
  sqlite3_finalize(stmt);
  return rows;
}

std::optional<int64_t> DbInspector::Scalar(const std::string& sql,
                                           const std::vector<std::string>& params) {
  auto rows = Query(sql, params);
  if (rows.empty() || rows[0].empty() || rows[0][0].empty()) return std::nullopt;
  return std::strtoll(rows[0][0].c_str(), nullptr, 10);
}

int64_t DbInspector::Count(const std::string& table, const std::string& where,
                           const std::vector<std::string>& params) {
  std::string sql = "SELECT COUNT(*) FROM " + table + (where.empty() ? "" : " WHERE " + where);
  return Scalar(sql, params).value_or(-1);
}

}  // namespace ingestd::itest
