// The LlamaParse webhook's two checks on a delivery: input
// "<LC-Signature>\n<X-Webhook-Event-ID>\n<body>" (the event type header is fixed).
// The signature check must accept exactly the body's own signature (a header "sign" stands
// for it, since mutation cannot forge an HMAC), and the body is read whatever the verdict,
// so the reader is fuzzed although the handler only reaches it for signed deliveries.
#include "fuzz_target.h"
#include "services/llamaparse_webhook.h"

INGESTD_FUZZ_TARGET(llamaparse_webhook) {
  namespace lp = ingestd::llamaparse;
  static const std::string secret = lp::WebhookSecret("fuzz-master", "job-1");
  auto [header, rest] = ingestd::fuzz::SplitAt(ingestd::fuzz::AsText(data, size), '\n');
  auto [event_id, body] = ingestd::fuzz::SplitAt(rest, '\n');
  if (header == "sign") {
    if (!lp::VerifyWebhookSignature(secret, body, lp::WebhookSignature(secret, body))) {
      __builtin_trap();
    }
  } else if (lp::VerifyWebhookSignature(secret, body, header)) {
    __builtin_trap();  // a forged HMAC-SHA256: not by mutation
  }
  auto notice = lp::ParseWebhookDelivery(body, event_id, "parse.success");
  if (notice.ok() && notice->event_id.empty()) {
    __builtin_trap();
  }
  return 0;
}
