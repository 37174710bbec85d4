#include "alerts/webhook_sender.h"

#include "services/http/retry_hints.h"
#include "services/http/retrying_sender.h"

namespace ingestd {

WebhookSender::WebhookSender(std::string url, http::HttpClient* client, http::HttpTimeouts timeouts)
    : url_(std::move(url)), client_(client), timeouts_(timeouts) {}

std::string WebhookSender::Body(const Alert& alert) {
  return nlohmann::json{
      {"text", SlackText(alert)}, {"alert", AlertJson(alert)}, {"source", "ingestd"}}
      .dump();
}

AttemptResult WebhookSender::Send(const Alert& alert, int64_t now_ms) const {
  http::HttpRequest request;
  request.method = "POST";
  request.url = url_;
  request.headers = {{"Content-Type", "application/json"}, {"X-Ingestd-Alert-Id", alert.id}};
  if (!alert.correlation_id.empty()) {
    request.headers.emplace_back("X-Correlation-ID", alert.correlation_id);
  }
  request.body = Body(alert);
  Result<http::HttpResponse> response = client_->Send(request, timeouts_);
  AttemptResult r;
  if (!response.ok()) {
    r.outcome = response.status().retryable() ? AttemptResult::kRetry : AttemptResult::kRejected;
    r.error = response.status().code();
    return r;
  }
  r.http_status = response->status;
  if (response->status >= 200 && response->status < 300) {
    r.outcome = AttemptResult::kDelivered;
    return r;
  }
  r.error = "HTTP_" + std::to_string(response->status);
  r.outcome = http::IsTransientHttpStatus(response->status) ? AttemptResult::kRetry
                                                            : AttemptResult::kRejected;
  r.retry_after_ms = http::SuggestedRetryDelayMs(*response, now_ms);
  return r;
}

}  // namespace ingestd
