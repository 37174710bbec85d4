// WebhookSender: one delivery attempt of an alert to INGESTD_ALERT_WEBHOOK_URL as a JSON
// POST: {"text": <Slack text>, "alert": <AlertJson>, "source": "ingestd"} — Slack's incoming
// webhooks read `text` and ignore the rest; other receivers use the structured `alert`.
// The header X-Ingestd-Alert-Id carries the alert id so a receiver can drop a redelivery.
//
// Thread-safe when the HttpClient is (CurlHttpClient is).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "alerts/alert.h"
#include "services/http/http_client.h"

namespace ingestd {

struct AttemptResult {
  enum Outcome {
    kDelivered,  // 2xx
    kRetry,      // transient: 408, 409, 429, 5xx, connection trouble
    kRejected,   // anything else (4xx, bad URL): retrying would not help
  } outcome = kRejected;
  long http_status = 0;                   // 0 when no response came
  std::optional<int64_t> retry_after_ms;  // the receiver's Retry-After, when it sent one
  std::string error;                      // a code for the log ("HTTP_500", "UPSTREAM_TIMEOUT")
};

class WebhookSender {
 public:
  // client must outlive the sender.
  WebhookSender(std::string url, http::HttpClient* client, http::HttpTimeouts timeouts);

  // now_ms resolves an HTTP-date Retry-After.
  AttemptResult Send(const Alert& alert, int64_t now_ms) const;

  // The request body (exposed for tests and logs).
  static std::string Body(const Alert& alert);

 private:
  const std::string url_;
  http::HttpClient* const client_;
  const http::HttpTimeouts timeouts_;
};

}  // namespace ingestd
