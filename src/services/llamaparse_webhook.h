// Signed LlamaParse webhooks: the per-job signing secret we hand LlamaParse at upload, and
// the check of its `LC-Signature: sha256=<hex HMAC-SHA256 of the raw body>` header.
// The secret is derived (HMAC of a server secret and the job id), so nothing is stored and
// a webhook for one job cannot be signed with another job's secret.
#pragma once

#include <string>
#include <string_view>

namespace ingestd::llamaparse {

// The job event an accepted webhook leaves (the parser's poll loop watches for it).
inline constexpr char kWebhookEventCode[] = "LLAMAPARSE_WEBHOOK";

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
