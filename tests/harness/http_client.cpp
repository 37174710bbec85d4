#include "harness/http_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <cstdio>
#include <memory>

namespace ingestd::itest {
namespace {

size_t AppendBody(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

size_t AppendHeader(char* data, size_t size, size_t n, void* out) {
  auto* headers = static_cast<std::map<std::string, std::string>*>(out);
  std::string line(data, size * n);
  if (line.starts_with("HTTP/")) {
    headers->clear();  // a new response (e.g. after 100 Continue) starts a new header set
    return size * n;
  }
  auto colon = line.find(':');
  if (colon == std::string::npos) return size * n;
  std::string key = line.substr(0, colon);
  std::transform(key.begin(), key.end(), key.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  std::string value = line.substr(colon + 1);
  auto first = value.find_first_not_of(" \t");
  auto last = value.find_last_not_of(" \t\r\n");
  (*headers)[key] = first == std::string::npos ? "" : value.substr(first, last - first + 1);
  return size * n;
}

size_t ReadFromFile(char* buffer, size_t size, size_t n, void* file) {
  return fread(buffer, size, n, static_cast<FILE*>(file));
}

struct CurlGlobal {
  CurlGlobal() { curl_global_init(CURL_GLOBAL_DEFAULT); }
};

}  // namespace

std::string HttpResponse::Header(const std::string& lower_name) const {
  auto it = headers.find(lower_name);
  return it == headers.end() ? "" : it->second;
}

nlohmann::json HttpResponse::Json() const {
  return nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
}

std::string HttpResponse::ErrorCode() const {
  auto j = Json();
  if (!j.is_object() || !j.contains("error") || !j["error"].is_object()) return "";
  auto code = j["error"].value("code", nlohmann::json());
  return code.is_string() ? code.get<std::string>() : "";
}

std::string HttpResponse::Describe() const {
  if (status == 0) return "transport error: " + transport_error;
  return "HTTP " + std::to_string(status) + " " + body.substr(0, 600);
}

HttpClient::HttpClient(std::string base_url) : base_url_(std::move(base_url)) {
  static CurlGlobal global;
  curl_ = curl_easy_init();
}

HttpClient::~HttpClient() { curl_easy_cleanup(static_cast<CURL*>(curl_)); }

HttpResponse HttpClient::Send(const HttpRequest& request) {
  CURL* curl = static_cast<CURL*>(curl_);
  curl_easy_reset(curl);  // keeps the connection cache: keep-alive survives
  HttpResponse response;
  std::string url =
      request.target.starts_with("http://") ? request.target : base_url_ + request.target;
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, request.timeout_ms);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, AppendBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &response.body);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, AppendHeader);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &response.headers);

  struct curl_slist* list = nullptr;
  // No "Expect: 100-continue" round trip: the bodies here are sent straight away.
  list = curl_slist_append(list, "Expect:");
  for (auto& [k, v] : request.headers) list = curl_slist_append(list, (k + ": " + v).c_str());
  if (!request.bearer.empty()) {
    list = curl_slist_append(list, ("Authorization: Bearer " + request.bearer).c_str());
  }
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list);

  std::unique_ptr<FILE, int (*)(FILE*)> file(nullptr, fclose);
  if (!request.body_file.empty()) {
    file.reset(fopen(request.body_file.c_str(), "rb"));
    if (!file) {
      curl_slist_free_all(list);
      response.transport_error = "cannot open " + request.body_file;
      return response;
    }
    fseek(file.get(), 0, SEEK_END);
    curl_off_t size = ftell(file.get());
    fseek(file.get(), 0, SEEK_SET);
    curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(curl, CURLOPT_READFUNCTION, ReadFromFile);
    curl_easy_setopt(curl, CURLOPT_READDATA, file.get());
    curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE, size);
  } else if (!request.body.empty() || request.method == "POST" || request.method == "PUT") {
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.body.data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
                     static_cast<curl_off_t>(request.body.size()));
  }
  if (request.method == "HEAD") curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);

  CURLcode rc = curl_easy_perform(curl);
  curl_slist_free_all(list);
  if (rc != CURLE_OK) {
    response.transport_error = curl_easy_strerror(rc);
    return response;
  }
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response.status);
  curl_easy_getinfo(curl, CURLINFO_NUM_CONNECTS, &response.new_connections);
  return response;
}

HttpResponse HttpClient::Get(const std::string& target, const std::string& bearer) {
  return Send({.method = "GET", .target = target, .bearer = bearer});
}

HttpResponse HttpClient::Delete(const std::string& target, const std::string& bearer) {
  return Send({.method = "DELETE", .target = target, .bearer = bearer});
}

HttpResponse HttpClient::PostJson(const std::string& target, const nlohmann::json& body,
                                  const std::string& bearer) {
  return Send({.method = "POST",
               .target = target,
               .headers = {{"Content-Type", "application/json"}},
               .bearer = bearer,
               .body = body.dump()});
}

}  // namespace ingestd::itest
