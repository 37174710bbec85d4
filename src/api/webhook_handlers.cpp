// POST /api/v1/webhooks/llamaparse/{job_id}: LlamaParse's signed completion notice.
//
// The signature is the credential (no bearer token): LC-Signature must be the HMAC of the raw
// body under the job's derived secret (services/llamaparse_webhook.h), checked in constant
// time before anything else is looked at. A valid notice is accepted only while the job
// waits on its parse, deduplicated on event_id (LlamaParse retries deliveries), recorded as a
// LLAMAPARSE_WEBHOOK job event, and wakes the workers. Polling remains the backstop, so a
// lost, late or forged webhook changes nothing about the outcome.
#include <nlohmann/json.hpp>

#include "api/errors.h"
#include "api/handlers.h"
#include "api/router.h"
#include "core/log.h"
#include "services/llamaparse_webhook.h"

namespace ingestd::api {
namespace {

bool WaitsOnParse(const Job& job) {
  return (job.status == JobStatus::kUploaded || job.status == JobStatus::kParseQueued) &&
         job.state != QueueState::kDone && job.state != QueueState::kDeadletter;
}

}  // namespace

ApiResponse HandleLlamaParseWebhook(ApiContext& ctx, const ApiRequest& req) {
  const std::string& job_id = req.params.at("job_id");
  const std::string secret = llamaparse::WebhookSecret(ctx.options.upload_secret, job_id);
  if (!llamaparse::VerifyWebhookSignature(secret, req.body, req.Header("lc-signature"))) {
    return ErrorResponse(Status::Error(Kind::kUnauthenticated, "WEBHOOK_SIGNATURE_INVALID",
                                       "missing or invalid LC-Signature"),
                         req.correlation_id);
  }
  auto job = ctx.store->GetJobUnscoped(job_id);
  if (!job.ok()) return ErrorResponse(job.status(), req.correlation_id);
  const auto body = nlohmann::json::parse(req.body, nullptr, false);
  if (body.is_discarded() || !body.is_object() || !body.contains("event_id") ||
      !body["event_id"].is_string() || body["event_id"].get<std::string>().empty()) {
    return ErrorResponse(Status::InvalidArgument("INVALID_WEBHOOK", "body needs an event_id"),
                         req.correlation_id);
  }
  const std::string event_id = body["event_id"];
  auto events = ctx.store->ListEvents(job->user_id, job_id);
  if (!events.ok()) return ErrorResponse(events.status(), req.correlation_id);
  for (const Event& e : *events) {
    if (e.code == llamaparse::kWebhookEventCode && e.payload.value("event_id", "") == event_id) {
      return JsonResponse(200, {{"accepted", false}, {"duplicate", true}});
    }
  }
  if (!WaitsOnParse(*job)) {
    return ErrorResponse(
        Status::Conflict("WEBHOOK_NOT_EXPECTED", "the job is not waiting on a parse"),
        req.correlation_id);
  }
  Event e;
  e.job_id = job_id;
  e.correlation_id = job->correlation_id;
  e.type = "provider";
  e.code = llamaparse::kWebhookEventCode;
  e.stage = "parse";
  e.payload = {{"event_id", event_id}, {"event_type", body.value("event_type", "")}};
  e.at_ms = ctx.clock->NowMillis();
  if (Status s = ctx.store->AppendEvent(e); !s.ok()) return ErrorResponse(s, req.correlation_id);
  log::Info("llamaparse webhook accepted",
            {{"correlation_id", job->correlation_id}, {"job_id", job_id}, {"event_id", event_id}});
  ctx.NotifyQueued();
  return JsonResponse(200, {{"accepted", true}, {"duplicate", false}});
}

}  // namespace ingestd::api
