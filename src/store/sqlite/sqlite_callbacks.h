// SqliteStore: the completion-callback writes other transactions make (migration v7).
#pragma once

#include <cstdint>
#include <string_view>

#include "core/model.h"
#include "core/status.h"
#include "db/sqlite_db.h"

namespace ingestd::sqlite {

// Stores job.callback_url beside the new job (nothing when it is empty).
Status InsertJobCallback(SqliteConn& c, const Job& job);
// Adds the outbox row of a job that ends now, when the job has a callback URL.
Status QueueCallback(SqliteConn& c, std::string_view job_id, const char* type, int64_t now_ms);

}  // namespace ingestd::sqlite
