// GET /api/v1/jobs, GET /api/v1/jobs/{id}, POST /api/v1/jobs/{id}/retry,
// GET /api/v1/jobs/{id}/events.
#include <charconv>
#include <nlohmann/json.hpp>

#include "api/errors.h"
#include "api/handlers.h"
#include "api/router.h"
#include "api/views.h"
#include "core/log.h"

namespace ingestd::api {
namespace {

// Reads an integer query parameter within [lo, hi], or *out unchanged when absent.
Status IntParam(const ApiRequest& req, const std::string& key, int lo, int hi, int* out,
                const std::string& code) {
  auto it = req.query.find(key);
  if (it == req.query.end() || it->second.empty()) return Status();
  int v = 0;
  auto [p, ec] = std::from_chars(it->second.data(), it->second.data() + it->second.size(), v);
  if (ec != std::errc() || p != it->second.data() + it->second.size() || v < lo || v > hi) {
    return Status::InvalidArgument(code, key + " must be an integer in [" + std::to_string(lo) +
                                             ", " + std::to_string(hi) + "]");
  }
  *out = v;
  return Status();
}

}  // namespace

Status PageParams(const ApiRequest& req, int* limit, int* offset, const std::string& code) {
  Status s = IntParam(req, "limit", 1, 500, limit, code);
  if (s.ok()) s = IntParam(req, "offset", 0, 1'000'000'000, offset, code);
  return s;
}

ApiResponse HandleGetJob(ApiContext& ctx, const ApiRequest& req) {
  auto job = ctx.store->GetJob(req.caller->sub, req.params.at("id"));
  if (!job.ok()) return ErrorResponse(job.status(), req.correlation_id);
  auto view = JobView(*ctx.store, *job);
  if (!view.ok()) return ErrorResponse(view.status(), req.correlation_id);
  return JsonResponse(200, *view);
}

ApiResponse HandleListJobs(ApiContext& ctx, const ApiRequest& req) {
  JobFilter filter;
  Status s = PageParams(req, &filter.limit, &filter.offset);
  if (auto it = req.query.find("state"); s.ok() && it != req.query.end() && !it->second.empty()) {
    filter.state = ParseQueueState(it->second);
    if (!filter.state) s = Status::InvalidArgument("INVALID_FILTER", "unknown state");
  }
  if (auto it = req.query.find("status"); s.ok() && it != req.query.end() && !it->second.empty()) {
    filter.status = ParseJobStatus(it->second);
    if (!filter.status) s = Status::InvalidArgument("INVALID_FILTER", "unknown status");
  }
  if (!s.ok()) return ErrorResponse(s, req.correlation_id);
  auto jobs = ctx.store->ListJobs(req.caller->sub, filter);
  if (!jobs.ok()) return ErrorResponse(jobs.status(), req.correlation_id);
  nlohmann::json list = nlohmann::json::array();
  for (const Job& j : *jobs) list.push_back(JobJson(j));
  return JsonResponse(200, {{"jobs", list}, {"limit", filter.limit}, {"offset", filter.offset}});
}

ApiResponse HandleRetryJob(ApiContext& ctx, const ApiRequest& req) {
  auto job = ctx.store->RequeueJob(req.caller->sub, req.params.at("id"), ctx.clock->NowMillis());
  if (!job.ok()) return ErrorResponse(job.status(), req.correlation_id);
  log::Info("job requeued by user", {{"correlation_id", job->correlation_id},
                                     {"job_id", job->id},
                                     {"request_correlation_id", req.correlation_id}});
  ctx.NotifyQueued();
  return JsonResponse(200, JobJson(*job));
}

ApiResponse HandleJobEvents(ApiContext& ctx, const ApiRequest& req) {
  auto events = ctx.store->ListEvents(req.caller->sub, req.params.at("id"));
  if (!events.ok()) return ErrorResponse(events.status(), req.correlation_id);
  nlohmann::json list = nlohmann::json::array();
  for (const Event& e : *events) list.push_back(EventJson(e));
  return JsonResponse(200, {{"events", list}});
}

}  // namespace ingestd::api
