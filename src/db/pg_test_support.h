// Test support: the throw-away cluster that `make test` (CTest fixture pg_cluster, see
// CMakeLists.txt and scripts/pg_test_cluster.sh) starts, and one fresh database per test.
#pragma once

#include <cstdint>
#include <string>

namespace ingestd::pg {

// The cluster's URL: INGESTD_TEST_PG_URL, else the first line of the file named by
// INGESTD_TEST_PG_URL_FILE. Empty when neither is set or readable.
std::string TestClusterUrl();

// url with its database name replaced by database.
std::string WithDatabase(const std::string& url, const std::string& database);

// Creates an empty database with a random name on the test cluster; returns its URL, or ""
// (after printing why) when the cluster cannot be reached.
std::string CreateTestDatabase();
// Drops the database of url (terminating its connections).
void DropTestDatabase(const std::string& url);

// The first column of the first row of sql (static storage) on the database of url, for tests
// that inspect it; -1 (after printing why) when the query fails or returns no row.
int64_t QueryScalar(const std::string& url, const char* sql);

}  // namespace ingestd::pg
