#include "services/openai_errors.h"

#include <cctype>

#include <nlohmann/json.hpp>

#include "services/http/retrying_sender.h"

namespace ingestd::openai {
namespace {

constexpr size_t kMaxMessage = 300;

struct ErrorInfo {
  std::string code;
  std::string type;
  std::string message;
};

ErrorInfo ReadError(const std::string& body) {
  ErrorInfo info;
  const auto j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("error") || !j["error"].is_object()) {
    return info;
  }
  const auto& e = j["error"];
  if (e.contains("code") && e["code"].is_string()) info.code = e["code"];
  if (e.contains("type") && e["type"].is_string()) info.type = e["type"];
  if (e.contains("message") && e["message"].is_string()) info.message = e["message"];
  return info;
}

}  // namespace

std::string Redact(std::string_view text, std::string_view api_key) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    const bool word_start = i == 0 || std::isspace(static_cast<unsigned char>(text[i - 1]));
    if (!api_key.empty() && text.substr(i).starts_with(api_key)) {
      out += "[redacted]";
      i += api_key.size();
    } else if (word_start && text.substr(i).starts_with("sk-")) {
      out += "[redacted]";
      while (i < text.size() && !std::isspace(static_cast<unsigned char>(text[i])) &&
             text[i] != '.' && text[i] != ',') {
        ++i;
      }
    } else {
      out += text[i++];
    }
  }
  return out;
}

Status ClassifyResponse(const http::HttpResponse& response, std::string_view api_key) {
  const long status = response.status;
  if (status >= 200 && status < 300) return Status();
  const ErrorInfo info = ReadError(response.body);
  std::string what = "openai embeddings: HTTP " + std::to_string(status);
  // The code and type are the provider's text too: a body could carry the key in them.
  if (!info.code.empty())
    what += " " + Redact(info.code, api_key);
  else if (!info.type.empty())
    what += " " + Redact(info.type, api_key);
  if (status == 401 || status == 403) {
    return Status::Error(Kind::kUpstream, "UPSTREAM_AUTH",
                         what + " (check OPENAI_API_KEY and its project's access)");
  }
  std::string message = Redact(info.message, api_key);
  if (message.size() > kMaxMessage) message = message.substr(0, kMaxMessage) + "...";
  if (!message.empty()) what += ": " + message;
  if (status == 429 && (info.code == "insufficient_quota" || info.type == "insufficient_quota")) {
    return Status::Error(Kind::kBudgetExceeded, "UPSTREAM_QUOTA", what);
  }
  // The server may say whether a retry can help; the official SDK obeys it before looking
  // at the status (openai-python _base_client.py _should_retry).
  const auto should_retry = response.Header("x-should-retry");
  Status s = Status::Error(Kind::kUpstream, "UPSTREAM_BAD_REQUEST", what);
  if (status == 429) {
    s = Status::Error(Kind::kRateLimited, "UPSTREAM_RATE_LIMITED", what, true);
  } else if (http::IsTransientHttpStatus(status) || should_retry == "true") {
    s = Status::Error(Kind::kUnavailable, "UPSTREAM_UNAVAILABLE", what, true);
  }
  if (should_retry == "false" && s.retryable()) {
    return Status::Error(s.kind(), s.code(), s.message() + " (x-should-retry: false)");
  }
  return s;
}

}  // namespace ingestd::openai
