#include "services/llamaparse_webhook.h"

#include <cctype>

#include <nlohmann/json.hpp>

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

Result<WebhookNotice> ParseWebhookDelivery(std::string_view body, std::string_view event_id_header,
                                           std::string_view event_type_header) {
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (!j.is_discarded() && j.is_string()) {
    j = nlohmann::json::parse(j.get<std::string>(), nullptr, false);
  }
  // A field may be absent (the header then says it), but one of another type is malformed.
  Status wrong_type;
  const auto field = [&](const char* key) {
    if (j.is_discarded() || !j.is_object()) return std::string();
    const auto it = j.find(key);
    if (it == j.end() || it->is_null()) return std::string();
    if (!it->is_string() && wrong_type.ok()) {
      wrong_type = Status::InvalidArgument("INVALID_WEBHOOK",
                                           std::string("field '") + key + "' must be a string");
    }
    return it->is_string() ? it->get<std::string>() : std::string();
  };
  WebhookNotice n{field("event_id"), field("event_type")};
  if (!wrong_type.ok()) return wrong_type;
  if (n.event_id.empty()) n.event_id = std::string(event_id_header);
  if (n.event_type.empty()) n.event_type = std::string(event_type_header);
  if (n.event_id.empty()) {
    return Status::InvalidArgument("INVALID_WEBHOOK",
                                   "no event_id in the body nor an X-Webhook-Event-ID header");
  }
  return n;
}

std::string WebhookPath(std::string_view job_id) {
  return "/api/v1/webhooks/llamaparse/" + std::string(job_id);
}

}  // namespace ingestd::llamaparse
