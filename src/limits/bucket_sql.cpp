#include "limits/bucket_sql.h"

#include "limits/token_bucket.h"

namespace ingestd::limits {
namespace {

std::string P(const SqlDialect& d, int n) {
  if (!d.postgres) return "?" + std::to_string(n);
  return "$" + std::to_string(n) + (n == 1 ? "::text" : "::bigint");
}

// The units of bucket `col` (limit parameter `lim`) refilled up to now: RefilledUnits.
std::string Refilled(const SqlDialect& d, const std::string& col, int lim, int64_t period) {
  const std::string per = std::to_string(period);
  return std::string(d.least) + "(" + P(d, lim) + " * " + per + ", b." + col + " + " + d.least +
         "(" + per + ", " + d.greatest + "(0, " + P(d, 4) + " - b.updated_ms)) * " + P(d, lim) +
         ")";
}

// The value of a bucket column: `limited` when its limit is set, else kUnlimitedUnits.
std::string IfLimited(const SqlDialect& d, int lim, const std::string& limited) {
  return "CASE WHEN " + P(d, lim) + " > 0 THEN " + limited + " ELSE " + P(d, 5) + " END";
}

// "limit unset, or the refilled bucket holds a token".
std::string HasToken(const SqlDialect& d, const std::string& col, int lim, int64_t period) {
  return "(" + P(d, lim) + " = 0 OR " + Refilled(d, col, lim, period) +
         " >= " + std::to_string(period) + ")";
}

std::string CreateBucketsSql(const SqlDialect& d, const std::string& table) {
  const char* id_type = d.postgres ? "text COLLATE \"C\"" : "TEXT";
  const char* int_type = d.postgres ? "bigint" : "INTEGER";
  return "CREATE TABLE " + table + " (user_id " + id_type + " PRIMARY KEY, minute_units " +
         int_type + " NOT NULL, day_units " + int_type + " NOT NULL, updated_ms " + int_type +
         " NOT NULL)";
}

}  // namespace

std::vector<std::string> BucketMigrations(const SqlDialect& d) {
  return {CreateBucketsSql(d, kUploadBuckets.table), CreateBucketsSql(d, kSearchBuckets.table)};
}

std::string TakeSql(const SqlDialect& d, const std::string& table) {
  const std::string minute = std::to_string(kMinuteMs), day = std::to_string(kDayMs);
  return "INSERT INTO " + table +
         " AS b (user_id, minute_units, day_units, updated_ms) "
         "VALUES (" +
         P(d, 1) + ", " + IfLimited(d, 2, "(" + P(d, 2) + " - 1) * " + minute) + ", " +
         IfLimited(d, 3, "(" + P(d, 3) + " - 1) * " + day) + ", " + P(d, 4) +
         ") ON CONFLICT (user_id) DO UPDATE SET minute_units = " +
         IfLimited(d, 2, Refilled(d, "minute_units", 2, kMinuteMs) + " - " + minute) +
         ", day_units = " + IfLimited(d, 3, Refilled(d, "day_units", 3, kDayMs) + " - " + day) +
         ", updated_ms = " + d.greatest + "(b.updated_ms, " + P(d, 4) + ") WHERE " +
         HasToken(d, "minute_units", 2, kMinuteMs) + " AND " + HasToken(d, "day_units", 3, kDayMs) +
         " RETURNING 1";
}

std::string RefundSql(const SqlDialect& d, const std::string& table) {
  const std::string minute = std::to_string(kMinuteMs), day = std::to_string(kDayMs);
  auto back = [&](const std::string& col, int lim, int64_t period) {
    return IfLimited(d, lim,
                     std::string(d.least) + "(" + P(d, lim) + " * " + std::to_string(period) +
                         ", " + Refilled(d, col, lim, period) + " + " + std::to_string(period) +
                         ")");
  };
  return "UPDATE " + table + " AS b SET minute_units = " + back("minute_units", 2, kMinuteMs) +
         ", day_units = " + back("day_units", 3, kDayMs) + ", updated_ms = " + d.greatest +
         "(b.updated_ms, " + P(d, 4) + ") WHERE b.user_id = " + P(d, 1);
}

std::string SelectSql(const SqlDialect& d, const std::string& table) {
  return "SELECT minute_units, day_units, updated_ms FROM " + table + " WHERE user_id = " + P(d, 1);
}

}  // namespace ingestd::limits
