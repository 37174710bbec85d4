#include "services/llamaparse_webhook.h"

#include <cctype>

#include "core/crypto.h"

namespace ingestd::llamaparse {

std::string WebhookSecret(std::string_view master, std::string_view job_id) {
  return HexEncode(HmacSha256(master, "llamaparse-webhook:" + std::string(job_id)));
}

std::string WebhookSignature(std::string_view secret, std::string_view body) {
  return "sha256=" + HexEncode(HmacSha256(secret, body));
}

bool VerifyWebhookSignature(std::string_view secret, std::string_view body,
                            std::string_view header) {
  constexpr std::string_view kPrefix = "sha256=";
  if (!header.starts_with(kPrefix)) return false;
  std::string given(header.substr(kPrefix.size()));
  for (char& c : given) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return ConstantTimeEquals(given, WebhookSignature(secret, body).substr(kPrefix.size()));
}

std::string WebhookPath(std::string_view job_id) {
  return "/api/v1/webhooks/llamaparse/" + std::string(job_id);
}

}  // namespace ingestd::llamaparse
