// HttpClient: a small blocking HTTP/1.1 client over one libcurl easy handle, so successive
// requests reuse one keep-alive connection. Not thread-safe: one instance per thread.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

namespace ingestd::itest {

struct HttpResponse {
  long status = 0;                             // 0 when the transfer failed
  std::string transport_error;                 // libcurl's message when status == 0
  std::map<std::string, std::string> headers;  // keys lower-case; last value wins
  std::string body;
  long new_connections = 0;  // connections libcurl opened for this request (0 = reused)

  std::string Header(const std::string& lower_name) const;
  // The body as JSON; a discarded (is_discarded()) value when it is not JSON.
  nlohmann::json Json() const;
  // error.code of an error body, or "" when there is none.
  std::string ErrorCode() const;
  // A one-line summary for assertion messages.
  std::string Describe() const;
};

struct HttpRequest {
  std::string method = "GET";
  std::string target{};  // a path such as "/api/v1/jobs", or an absolute http:// URL
  std::vector<std::pair<std::string, std::string>> headers{};
  std::string bearer{};     // adds "Authorization: Bearer <bearer>" when not empty
  std::string body{};       // sent as is (with Content-Length) unless body_file is set
  std::string body_file{};  // when set, the body is streamed from this file
  long timeout_ms = 30000;
};

class HttpClient {
 public:
  explicit HttpClient(std::string base_url);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  HttpResponse Send(const HttpRequest& request);

  HttpResponse Get(const std::string& target, const std::string& bearer = "");
  HttpResponse Delete(const std::string& target, const std::string& bearer = "");
  HttpResponse PostJson(const std::string& target, const nlohmann::json& body,
                        const std::string& bearer = "");

  const std::string& base_url() const { return base_url_; }

 private:
  std::string base_url_;
  void* curl_;  // CURL*
};

}  // namespace ingestd::itest
