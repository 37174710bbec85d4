// The client side of the commands that talk to a running server (`search`, `ingest`, `jobs`,
// `job`): where the server is, the bearer token, one JSON exchange, and how a refusal is
// printed.
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "core/status.h"
#include "services/http/http_client.h"

namespace ingestd::cli {

struct ApiTarget {
  std::string server;  // e.g. http://127.0.0.1:8080, no trailing slash
  std::string token;
};

// --server, else http://127.0.0.1:<INGESTD_PORT>; --token, else INGESTD_TOKEN (required).
Result<ApiTarget> ResolveApiTarget(const std::string& server_flag, const std::string& token_flag);

struct ApiAnswer {
  long status = 0;
  nlohmann::json body;  // discarded (null) when the body is not JSON
  std::optional<int64_t> retry_after_s;
};

// `request` with the server prefixed to its url (a path) and the bearer token added. A
// transport failure is an error Status; any HTTP answer is a value.
Result<ApiAnswer> CallApi(http::HttpClient& client, const ApiTarget& target,
                          http::HttpRequest request);

// "HTTP 429 CODE: message (correlation id X)" for a refused exchange.
std::string DescribeRefusal(const ApiAnswer& answer);

// GET path: the JSON object of a 200. Otherwise the transport failure, or an error
// HTTP_REFUSED whose message is DescribeRefusal's (a 200 that is no JSON object too).
Result<nlohmann::json> GetApiJson(http::HttpClient& client, const ApiTarget& target,
                                  const std::string& path);

}  // namespace ingestd::cli
