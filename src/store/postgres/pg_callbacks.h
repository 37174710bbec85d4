// PgStore: the completion-callback writes other transactions make (migration v7).
#pragma once

#include <cstdint>
#include <string_view>

#include "core/model.h"
#include "db/pg_conn.h"

namespace ingestd::pg::callbacks {

// $1 job, $2 url: an upload's callback URL beside its new job.
inline constexpr char kInsertJobCallback[] =
    "INSERT INTO job_callbacks (job_id, url) VALUES ($1, $2)";
// $1 job, $2 type, $3 now: the outbox row of a job that ends now, when it has a callback URL.
inline constexpr char kQueueCallback[] =
    "INSERT INTO callback_outbox (job_id, user_id, correlation_id, type, url, next_attempt_at,"
    " created_at) SELECT j.id, j.user_id, j.correlation_id, $2, c.url, $3::bigint, $3::bigint"
    " FROM job_callbacks c JOIN jobs j ON j.id = c.job_id WHERE c.job_id = $1";

inline PgParams QueueParams(std::string_view job_id, const char* type, int64_t now_ms) {
  return PgParams().Add(job_id).Add(type).Add(now_ms);
}

}  // namespace ingestd::pg::callbacks
