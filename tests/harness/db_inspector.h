// DbInspector: read-only SQL access to a server's SQLite file, so tests can check what is
// (and is not) stored behind the API. Opens the file read-only; safe while the server runs
// (WAL readers do not block the writer). Not thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

struct sqlite3;

namespace ingestd::itest {

class DbInspector {
 public:
  // Opens path read-only; ok() is false (and error() says why) when that fails.
  explicit DbInspector(const std::string& path);
  ~DbInspector();
  DbInspector(const DbInspector&) = delete;
  DbInspector& operator=(const DbInspector&) = delete;

  bool ok() const { return db_ != nullptr; }
  const std::string& error() const { return error_; }

  // Rows of the query's result, each column as text ("" for NULL); params bind to ?1, ?2…
  // A failing statement yields no rows and sets error().
  std::vector<std::vector<std::string>> Query(const std::string& sql,
                                              const std::vector<std::string>& params = {});
  // The first column of the first row as an integer; nullopt when there is none or on error.
  std::optional<int64_t> Scalar(const std::string& sql,
                                const std::vector<std::string>& params = {});
  // SELECT COUNT(*) FROM table (WHERE where, when not empty).
  int64_t Count(const std::string& table, const std::string& where = "",
                const std::vector<std::string>& params = {});

 private:
  sqlite3* db_ = nullptr;
  std::string error_;
};

}  // namespace ingestd::itest
