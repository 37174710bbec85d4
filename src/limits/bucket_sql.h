// The SQL of the upload buckets, written once for both backends: SQLite and PostgreSQL
// differ only in the spelling of parameters and of min/max, which a SqlDialect supplies.
//
// A table of buckets (BucketKind::table: limits_upload_buckets, limits_search_buckets): one
// row per user holding both buckets (so one statement decides both) in token_bucket.h units,
// as of updated_ms. Every statement binds the same parameters: 1 user_id, 2 per-minute limit
// (0 = none), 3 per-day limit (0 = none), 4 now_ms, 5 kUnlimitedUnits.
#pragma once

#include <string>
#include <vector>

namespace ingestd::limits {

struct SqlDialect {
  const char* least;     // "MIN" | "LEAST"
  const char* greatest;  // "MAX" | "GREATEST"
  bool postgres;         // parameters $N (typed) instead of ?N
};

inline constexpr SqlDialect kSqliteDialect{"MIN", "MAX", false};
inline constexpr SqlDialect kPostgresDialect{"LEAST", "GREATEST", true};

// The limits subsystem's migrations, in order (the caller records them in
// limits_migrations): 1 the upload buckets, 2 the search buckets.
std::vector<std::string> BucketMigrations(const SqlDialect& d);
// Takes one token from each limited bucket, refilled to now, only when each has one: one
// UPSERT (a new user's row starts full minus the token). Returns one row when it took the
// tokens, none when a bucket was empty.
std::string TakeSql(const SqlDialect& d, const std::string& table);
// Gives one token back to each limited bucket (capped at the limit).
std::string RefundSql(const SqlDialect& d, const std::string& table);
// minute_units, day_units, updated_ms of the user (parameter 1 only).
std::string SelectSql(const SqlDialect& d, const std::string& table);

// The statements of one table, built once per limiter: connections prepare a statement once,
// keyed by its address.
struct BucketStatements {
  BucketStatements(const SqlDialect& d, const std::string& table)
      : take(TakeSql(d, table)), refund(RefundSql(d, table)), select(SelectSql(d, table)) {}
  const std::string take, refund, select;
};

}  // namespace ingestd::limits
