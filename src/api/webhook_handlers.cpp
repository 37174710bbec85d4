// POST /api/v1/webhooks/llamaparse/{job_id}: LlamaParse's notice that a parse job changed.
//
// A webhook is only a hint to poll now: the docs do not make it certain that the v1 upload
// honours webhook_signing_secret, so an unsigned delivery is taken too (LC-Signature, when
// valid, is noted on the event). Nothing is read from the body but the event's id and type;
// the parse stage polls the provider for status and result. A delivery is recorded once
// under the unique key (job, event id) — LlamaParse retries deliveries — and wakes a job
// waiting on its parse at most once per kWebhookWakeIntervalMs (Store::RecordWebhookDelivery),
// so a forged or replayed delivery costs at most one status poll, never a wrong result.
// Every well-formed delivery for a known job is answered 200 (a late one too), so the
// provider stops retrying it.
#include "api/errors.h"
#include "api/handlers.h"
#include "api/router.h"
#include "core/log.h"
#include "services/llamaparse_webhook.h"

namespace ingestd::api {

ApiResponse HandleLlamaParseWebhook(ApiContext& ctx, const ApiRequest& req) {
  const std::string& job_id = req.params.at("job_id");
  auto notice = llamaparse::ParseWebhookDelivery(req.body, req.Header("x-webhook-event-id"),
                                                 req.Header("x-webhook-event-type"));
  if (!notice.ok()) return ErrorResponse(notice.status(), req.correlation_id);
  auto job = ctx.store->GetJobUnscoped(job_id);
  if (!job.ok()) return ErrorResponse(job.status(), req.correlation_id);
  const bool signed_ok = llamaparse::VerifyWebhookSignature(
      llamaparse::WebhookSecret(ctx.options.upload_secret, job_id), req.body,
      req.Header("lc-signature"));
  const int64_t now = ctx.clock->NowMillis();
  Event wake;
  wake.job_id = job_id;
  wake.correlation_id = job->correlation_id;
  wake.type = "provider";
  wake.code = llamaparse::kWebhookEventCode;
  wake.stage = "parse";
  wake.payload = {
      {"event_id", notice->event_id}, {"event_type", notice->event_type}, {"signed", signed_ok}};
  wake.at_ms = now;
  auto outcome =
      ctx.store->RecordWebhookDelivery({job_id, notice->event_id, notice->event_type, now}, wake,
                                       llamaparse::kWebhookWakeIntervalMs);
  if (!outcome.ok()) return ErrorResponse(outcome.status(), req.correlation_id);
  log::Info("llamaparse webhook received", {{"correlation_id", job->correlation_id},
                                            {"job_id", job_id},
                                            {"event_id", notice->event_id},
                                            {"event_type", notice->event_type},
                                            {"signed", signed_ok},
                                            {"duplicate", outcome->duplicate},
                                            {"woke", outcome->woke}});
  if (outcome->woke) ctx.NotifyQueued();
  return JsonResponse(200, {{"accepted", outcome->woke}, {"duplicate", outcome->duplicate}});
}

}  // namespace ingestd::api
