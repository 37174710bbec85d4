// Mapping OpenAI's answers to ingestd Statuses (the codes listed in openai_embedder.h).
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"
#include "services/http/http_client.h"

namespace ingestd::openai {

// OK for 2xx; otherwise the typed error for the status and the body's error.code. The
// provider's message is kept (it helps an operator) but cut short and scrubbed of
// anything that looks like a key; for 401/403 it is dropped (OpenAI echoes a masked key).
Status ClassifyResponse(const http::HttpResponse& response, std::string_view api_key);

// text with every occurrence of api_key and every "sk-…" word replaced by "[redacted]".
std::string Redact(std::string_view text, std::string_view api_key);

}  // namespace ingestd::openai
