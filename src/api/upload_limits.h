// The per-user upload limits at the API edge (limits/upload_limiter.h and the store's
// active-job cap): CreateUpload under them, shared by the two-step and the one-shot upload,
// and their view for GET /api/v1/upload/limits.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "api/api_context.h"
#include "store/store.h"

namespace ingestd::api {

// The Retry-After hint of ACTIVE_JOBS_LIMIT_EXCEEDED: no clock says when a job finishes, so
// a short poll interval.
inline constexpr int64_t kActiveJobsRetryAfterMs = 5'000;

// Takes one upload token of the document's user (refused: 429 UPLOAD_RATE_MINUTE_EXCEEDED /
// UPLOAD_RATE_DAY_EXCEEDED with Retry-After), then stores the upload with the active-job
// cap (refused: 429 ACTIVE_JOBS_LIMIT_EXCEEDED, Retry-After kActiveJobsRetryAfterMs). The
// token goes back when nothing new was stored: a duplicate (which so never counts against
// the rate) or a failure. Blocks on the database: handler threads only.
Result<CreateUploadResult> CreateLimitedUpload(const ApiContext& ctx, const Document& doc,
                                               const Job& job, int64_t now_ms);

// The configured limits (null = none): uploads_per_minute, uploads_per_day,
// max_active_jobs_per_user.
nlohmann::json ConfiguredLimitsJson(const ApiOptions& options);
// What user_id has left: {user_id, uploads_per_minute, uploads_per_day: null (no limit) |
// {limit, remaining, next_token_at, full_at}, active_jobs: {count, limit, remaining}}.
Result<nlohmann::json> UserLimitsJson(const ApiContext& ctx, const std::string& user_id);

}  // namespace ingestd::api
