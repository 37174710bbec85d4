#include "cli/api_client.h"

#include <cstdio>
#include <cstdlib>

#include "cli/config.h"
#include "cli/process_setup.h"
#include "core/json_read.h"

namespace ingestd::cli {

Result<ApiTarget> ResolveApiTarget(const std::string& server_flag, const std::string& token_flag) {
  auto env = ProcessEnv();
  ApiTarget target{server_flag, token_flag};
  if (target.token.empty()) target.token = env("INGESTD_TOKEN").value_or("");
  if (target.token.empty()) {
    return Status::InvalidArgument("TOKEN_MISSING", "--token or INGESTD_TOKEN is required");
  }
  if (target.server.empty()) {
    auto config = LoadConfig(env);
    if (!config.ok()) return config.status();
    target.server = "http://127.0.0.1:" + std::to_string(config->http.port);
  }
  while (target.server.ends_with('/')) target.server.pop_back();
  return target;
}

Result<ApiAnswer> CallApi(http::HttpClient& client, const ApiTarget& target,
                          http::HttpRequest request) {
  request.url = target.server + request.url;
  request.headers.emplace_back("Authorization", "Bearer " + target.token);
  auto response = client.Send(request, http::HttpTimeouts{});
  if (!response.ok()) return response.status();
  ApiAnswer answer;
  answer.status = response->status;
  answer.body = nlohmann::json::parse(response->body, nullptr, false);
  if (answer.body.is_discarded()) answer.body = nullptr;
  if (auto ra = response->Header("retry-after")) {
    const int64_t s = std::atoll(std::string(*ra).c_str());
    if (s > 0) answer.retry_after_s = s;
  }
  return answer;
}

std::string DescribeRefusal(const ApiAnswer& answer) {
  std::string out = "HTTP " + std::to_string(answer.status);
  if (const nlohmann::json* error = json_read::Find(answer.body, "error")) {
    out += " " + json_read::String(*error, "code").value_or("") + ": " +
           json_read::String(*error, "message").value_or("");
    if (auto id = json_read::String(*error, "correlation_id")) {
      out += " (correlation id " + *id + ")";
    }
  }
  return out;
}

Result<nlohmann::json> GetApiJson(http::HttpClient& client, const ApiTarget& target,
                                  const std::string& path) {
  http::HttpRequest request;
  request.url = path;
  auto answer = CallApi(client, target, std::move(request));
  if (!answer.ok()) return answer.status();
  if (answer->status != 200 || !answer->body.is_object()) {
    return Status::Error(Kind::kUpstream, "HTTP_REFUSED", DescribeRefusal(*answer));
  }
  return std::move(answer->body);
}

}  // namespace ingestd::cli
