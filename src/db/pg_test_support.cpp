#include "db/pg_test_support.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>

#include "core/crypto.h"
#include "db/pg_conn.h"

namespace ingestd::pg {
namespace {

constexpr char kAdminDatabase[] = "postgres";

// Runs one statement on the cluster's admin database; false (printed) on failure.
bool Admin(const std::string& statement) {
  Result<std::unique_ptr<PgConn>> conn =
      PgConn::Connect(WithDatabase(TestClusterUrl(), kAdminDatabase));
  if (!conn.ok()) {
    std::fprintf(stderr, "test cluster unreachable: %s\n", conn.status().ToString().c_str());
    return false;
  }
  Status s = (*conn)->Exec(statement.c_str());
  if (!s.ok()) std::fprintf(stderr, "%s: %s\n", statement.c_str(), s.ToString().c_str());
  return s.ok();
}

}  // namespace

std::string TestClusterUrl() {
  if (const char* url = std::getenv("INGESTD_TEST_PG_URL"); url != nullptr && *url != '\0') {
    return url;
  }
  const char* file = std::getenv("INGESTD_TEST_PG_URL_FILE");
  if (file == nullptr) return "";
  std::ifstream in(file);
  std::string url;
  std::getline(in, url);
  return url;
}

std::string WithDatabase(const std::string& url, const std::string& database) {
  // scheme://authority/database?params — authority may be empty (unix socket).
  const size_t scheme_end = url.find("://");
  if (scheme_end == std::string::npos) return url;
  const size_t path = url.find('/', scheme_end + 3);
  const size_t query = url.find('?', scheme_end + 3);
  const size_t db_start = path != std::string::npos && path < query ? path : query;
  std::string head = url.substr(0, db_start == std::string::npos ? url.size() : db_start);
  std::string tail = query == std::string::npos ? "" : url.substr(query);
  return head + "/" + database + tail;
}

std::string CreateTestDatabase() {
  if (TestClusterUrl().empty()) {
    std::fprintf(stderr,
                 "no test cluster: set INGESTD_TEST_PG_URL or INGESTD_TEST_PG_URL_FILE "
                 "(ctest does, through the pg_cluster fixture)\n");
    return "";
  }
  const std::string name = "t_" + HexEncode(RandomBytes(8));
  if (!Admin("CREATE DATABASE " + name)) return "";
  return WithDatabase(TestClusterUrl(), name);
}

void DropTestDatabase(const std::string& url) {
  const size_t scheme_end = url.find("://");
  const size_t path = url.find('/', scheme_end + 3);
  const size_t query = url.find('?', path);
  const std::string name =
      url.substr(path + 1, query == std::string::npos ? query : query - path - 1);
  Admin("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
}

int64_t QueryScalar(const std::string& url, const char* sql) {
  Result<std::unique_ptr<PgConn>> conn = PgConn::Connect(url);
  if (!conn.ok()) {
    std::fprintf(stderr, "%s: %s\n", sql, conn.status().ToString().c_str());
    return -1;
  }
  Result<PgResult> res = (*conn)->Query(sql, {});
  if (!res.ok()) {
    std::fprintf(stderr, "%s: %s\n", sql, res.status().ToString().c_str());
    return -1;
  }
  return res->rows() > 0 ? res->Int(0, 0) : -1;
}

}  // namespace ingestd::pg
