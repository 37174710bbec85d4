// The SQL of the upload buckets, written once for both backends: SQLite and PostgreSQL
// differ only in the spelling of parameters and of min/max, which a SqlDialect supplies.
//
// Table limits_upload_buckets: one row per user holding both buckets (so one statement
// decides both) in token_bucket.h units, as of updated_ms. Every statement binds the same
// parameters: 1 user_id, 2 per-minute limit (0 = none), 3 per-day limit (0 = none),
// 4 now_ms, 5 kUnlimitedUnits.
#pragma once

#include <string>

namespace ingestd::limits {

struct SqlDialect {
  const char* least;     // "MIN" | "LEAST"
  const char* greatest;  // "MAX" | "GREATEST"
  bool postgres;         // parameters $N (typed) instead of ?N
};

inline constexpr SqlDialect kSqliteDialect{"MIN", "MAX", false};
inline constexpr SqlDialect kPostgresDialect{"LEAST", "GREATEST", true};

// The schema of migration 1 (the caller records it in limits_migrations).
std::string CreateBucketsSql(const SqlDialect& d);
// Takes one token from each limited bucket, refilled to now, only when each has one: one
// UPSERT (a new user's row starts full minus the token). Returns one row when it took the
// tokens, none when a bucket was empty.
std::string TakeSql(const SqlDialect& d);
// Gives one token back to each limited bucket (capped at the limit).
std::string RefundSql(const SqlDialect& d);
// minute_units, day_units, updated_ms of the user (parameter 1 only).
std::string SelectSql(const SqlDialect& d);

}  // namespace ingestd::limits
