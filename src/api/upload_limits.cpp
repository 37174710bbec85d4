#include "api/upload_limits.h"

#include <algorithm>
#include <optional>

#include "core/log.h"
#include "limits/upload_limiter.h"

namespace ingestd::api {
namespace {

nlohmann::json LimitOrNull(int64_t limit) {
  return limit > 0 ? nlohmann::json(limit) : nlohmann::json(nullptr);
}

nlohmann::json BucketJson(const std::optional<limits::BucketState>& b) {
  if (!b) return nullptr;
  return {{"limit", b->limit},
          {"remaining", b->remaining},
          {"next_token_at", FormatRfc3339(b->next_token_ms)},
          {"full_at", FormatRfc3339(b->full_ms)}};
}

void LogRefusal(const Job& job, const Status& s) {
  log::Info("upload refused by a limit", {{"correlation_id", job.correlation_id},
                                          {"job_id", job.id},
                                          {"user_id", job.user_id},
                                          {"code", s.code()}});
}

}  // namespace

Result<CreateUploadResult> CreateLimitedUpload(const ApiContext& ctx, const Document& doc,
                                               const Job& job, int64_t now_ms) {
  limits::UploadLimiter* limiter = ctx.upload_limiter;
  if (limiter != nullptr) {
    if (Status s = limiter->Take(doc.user_id); !s.ok()) {
      if (s.kind() == Kind::kRateLimited) LogRefusal(job, s);
      return s;
    }
  }
  Result<CreateUploadResult> result =
      ctx.store->CreateUpload(doc, job, now_ms, ctx.options.upload_limits.max_active_jobs);
  if (limiter != nullptr && (!result.ok() || result->duplicate)) {
    if (Status s = limiter->Refund(doc.user_id); !s.ok()) {
      log::Warn("upload token not given back",
                {{"correlation_id", job.correlation_id}, {"job_id", job.id}, {"code", s.code()}});
    }
  }
  if (!result.ok() && result.status().kind() == Kind::kRateLimited) {
    LogRefusal(job, result.status());
    return result.status().WithRetryAfterMs(kActiveJobsRetryAfterMs);
  }
  return result;
}

nlohmann::json ConfiguredLimitsJson(const ApiOptions& options) {
  const limits::UploadLimits& l = options.upload_limits;
  return {{"uploads_per_minute", LimitOrNull(l.per_minute)},
          {"uploads_per_day", LimitOrNull(l.per_day)},
          {"max_active_jobs_per_user", LimitOrNull(l.max_active_jobs)}};
}

Result<nlohmann::json> UserLimitsJson(const ApiContext& ctx, const std::string& user_id) {
  limits::UploadAllowance allowance;
  if (ctx.upload_limiter != nullptr) {
    Result<limits::UploadAllowance> a = ctx.upload_limiter->Peek(user_id);
    if (!a.ok()) return a.status();
    allowance = *a;
  }
  Result<int64_t> active = ctx.store->CountActiveJobs(user_id);
  if (!active.ok()) return active.status();
  const int cap = ctx.options.upload_limits.max_active_jobs;
  nlohmann::json remaining =
      cap > 0 ? nlohmann::json(std::max<int64_t>(0, cap - *active)) : nlohmann::json(nullptr);
  return nlohmann::json{
      {"user_id", user_id},
      {"uploads_per_minute", BucketJson(allowance.minute)},
      {"uploads_per_day", BucketJson(allowance.day)},
      {"active_jobs", {{"count", *active}, {"limit", LimitOrNull(cap)}, {"remaining", remaining}}}};
}

}  // namespace ingestd::api
