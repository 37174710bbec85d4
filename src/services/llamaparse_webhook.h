// Signed LlamaParse webhooks: the per-job signing secret we hand LlamaParse at upload, and
// the check of its `LC-Signature: sha256=<hex HMAC-SHA256 of the raw body>` header.
// The secret is derived (HMAC of a server secret and the job id), so nothing is stored and
// a webhook for one job cannot be signed with another job's secret.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"

namespace ingestd::llamaparse {

// The job event an accepted webhook leaves (the parser's poll loop watches for it).
inline constexpr char kWebhookEventCode[] = "LLAMAPARSE_WEBHOOK";

// At most one wake (one extra status poll) per job this often, however many deliveries,
// signed or not, arrive: the cost a forger can cause.
inline constexpr int64_t kWebhookWakeIntervalMs = 5'000;

// What a delivery says, as far as we use it: only which event it is. Status and result
// always come from polling the provider, never from a webhook body.
struct WebhookNotice {
  std::string event_id;
  std::string event_type;  // "parse.success" | "parse.error" | "parse.partial_success" | …
};
// A delivery's body is {"event_id", "event_type", "timestamp", "data": {"id", "job_id"}},
// either as that object (webhook_output_format "json") or, LlamaParse's default, as a JSON
// string holding it. event_id and event_type fall back to the X-Webhook-Event-ID and
// X-Webhook-Event-Type headers. kInvalidArgument "INVALID_WEBHOOK" when neither gives an
// event id, or when the body has either field with a type other than string. Never throws.
Result<WebhookNotice> ParseWebhookDelivery(std::string_view body, std::string_view event_id_header,
                                           std::string_view event_type_header);

// Hex secret for job_id under master (a server secret, e.g. INGESTD_UPLOAD_SECRET).
std::string WebhookSecret(std::string_view master, std::string_view job_id);
// "sha256=<lower hex>" of body under secret.
std::string WebhookSignature(std::string_view secret, std::string_view body);
// Constant-time check of an LC-Signature header value (hex case-insensitive).
bool VerifyWebhookSignature(std::string_view secret, std::string_view body,
                            std::string_view header);
// The path our server receives a job's webhooks on.
std::string WebhookPath(std::string_view job_id);

}  // namespace ingestd::llamaparse
