#include "services/http/curl_http_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <memory>
#include <mutex>

namespace ingestd::http {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// Everything one transfer needs to outlive curl's callbacks.
struct Transfer {
  CURL* easy = nullptr;
  curl_slist* header_list = nullptr;
  curl_slist* resolve_list = nullptr;
  curl_mime* mime = nullptr;
  HttpResponse response;
  int64_t max_bytes = 0;
  bool too_large = false;
  char error[CURL_ERROR_SIZE] = {};

  ~Transfer() {
    if (mime) curl_mime_free(mime);
    if (header_list) curl_slist_free_all(header_list);
    if (resolve_list) curl_slist_free_all(resolve_list);
    if (easy) curl_easy_cleanup(easy);
  }
};

size_t OnBody(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const size_t bytes = size * n;
  if (static_cast<int64_t>(t->response.body.size() + bytes) > t->max_bytes) {
    t->too_large = true;
    return 0;  // aborts the transfer with CURLE_WRITE_ERROR
  }
  t->response.body.append(data, bytes);
  return bytes;
}

size_t OnHeader(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  std::string_view line(data, size * n);
  // A new status line (after 100 Continue or a redirect) starts a new header set.
  if (line.starts_with("HTTP/")) {
    t->response.headers.clear();
  } else if (size_t colon = line.find(':'); colon != std::string_view::npos) {
    t->response.headers.emplace_back(Lower(Trim(line.substr(0, colon))),
                                     std::string(Trim(line.substr(colon + 1))));
  }
  return size * n;
}

// request_sent: curl wrote the request to the connection (CURLINFO_REQUEST_SIZE > 0), so the
// upstream may have received and processed it.
Status TransportError(CURLcode code, const Transfer& t, bool request_sent) {
  if (t.too_large) {
    return Status::Error(Kind::kUpstream, "UPSTREAM_RESPONSE_TOO_LARGE",
                         "response exceeds " + std::to_string(t.max_bytes) + " bytes");
  }
  std::string detail = t.error[0] ? t.error : curl_easy_strerror(code);
  switch (code) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
    case CURLE_SEND_ERROR:  // a request not sent whole cannot have been processed
      return Status::Unavailable("UPSTREAM_UNREACHABLE",
                                 "the request did not reach the upstream: " + detail);
    case CURLE_OPERATION_TIMEDOUT:
      if (!request_sent) {
        return Status::Unavailable("UPSTREAM_UNREACHABLE",
                                   "the request did not reach the upstream: " + detail);
      }
      return Status::Unavailable("UPSTREAM_TIMEOUT", "upstream timed out: " + detail);
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
      return Status::Unavailable("UPSTREAM_CONNECTION", "upstream connection failed: " + detail);
    default:
      return Status::Error(Kind::kUpstream, "UPSTREAM_TRANSPORT",
                           "upstream request failed: " + detail);
  }
}

std::unique_ptr<Transfer> Prepare(const HttpRequest& req, const HttpTimeouts& to,
                                  const CurlOptions& options) {
  auto t = std::make_unique<Transfer>();
  t->max_bytes = to.max_response_bytes;
  t->easy = curl_easy_init();
  CURL* e = t->easy;
  if (!e) return t;
  curl_easy_setopt(e, CURLOPT_URL, req.url.c_str());
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t->error);
  curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(to.connect_ms));
  curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, static_cast<long>(to.total_ms));
  curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, static_cast<long>(to.low_speed_bytes));
  curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, static_cast<long>(to.low_speed_window_s));
  curl_easy_setopt(e, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_2TLS));
  curl_easy_setopt(e, CURLOPT_PIPEWAIT, 1L);         // prefer multiplexing over a new connection
  curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");  // whatever libcurl can decode
  curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, options.verify_tls ? 1L : 0L);
  curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, options.verify_tls ? 2L : 0L);
  curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, OnBody);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, t.get());
  curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, OnHeader);
  curl_easy_setopt(e, CURLOPT_HEADERDATA, t.get());
  curl_easy_setopt(e, CURLOPT_PRIVATE, t.get());
  for (const auto& [name, value] : req.headers) {
    t->header_list = curl_slist_append(t->header_list, (name + ": " + value).c_str());
  }
  // No "Expect: 100-continue" round trip before uploads.
  t->header_list = curl_slist_append(t->header_list, "Expect:");
  curl_easy_setopt(e, CURLOPT_HTTPHEADER, t->header_list);
  for (const std::string& entry : req.resolve) {
    t->resolve_list = curl_slist_append(t->resolve_list, entry.c_str());
  }
  if (t->resolve_list) curl_easy_setopt(e, CURLOPT_RESOLVE, t->resolve_list);
  if (!req.form_fields.empty() || req.form_file) {
    t->mime = curl_mime_init(e);
    for (const auto& [name, value] : req.form_fields) {
      curl_mimepart* part = curl_mime_addpart(t->mime);
      curl_mime_name(part, name.c_str());
      curl_mime_data(part, value.data(), value.size());
    }
    if (req.form_file) {
      curl_mimepart* part = curl_mime_addpart(t->mime);
      curl_mime_name(part, req.form_file->field.c_str());
      curl_mime_filedata(part, req.form_file->path.c_str());
      curl_mime_filename(part, req.form_file->filename.c_str());
      curl_mime_type(part, req.form_file->mime_type.c_str());
    }
    curl_easy_setopt(e, CURLOPT_MIMEPOST, t->mime);
  } else if (req.method == "POST" || req.method == "PUT" || req.method == "PATCH" ||
             !req.body.empty()) {
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(req.body.size()));
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, req.body.data());
  }
  if (req.method != "GET" && req.method != "POST") {
    curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, req.method.c_str());
  }
  return t;
}

}  // namespace

std::optional<std::string_view> HttpResponse::Header(std::string_view name) const {
  for (const auto& [n, v] : headers) {
    if (n == name) return std::string_view(v);
  }
  return std::nullopt;
}

CurlHttpClient::CurlHttpClient(CurlOptions options) : options_(options) {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

CurlHttpClient::~CurlHttpClient() {
  for (void* m : idle_) curl_multi_cleanup(static_cast<CURLM*>(m));
}

void* CurlHttpClient::Borrow() {
  {
    std::lock_guard lock(mu_);
    if (!idle_.empty()) {
      void* m = idle_.back();
      idle_.pop_back();
      return m;
    }
  }
  CURLM* m = curl_multi_init();
  if (m) {
    curl_multi_setopt(m, CURLMOPT_MAX_HOST_CONNECTIONS, options_.max_host_connections);
    curl_multi_setopt(m, CURLMOPT_PIPELINING, CURLPIPE_MULTIPLEX);
  }
  return m;
}

void CurlHttpClient::Return(void* multi) {
  std::lock_guard lock(mu_);
  idle_.push_back(multi);
}

std::vector<Result<HttpResponse>> CurlHttpClient::SendAll(std::span<const HttpRequest> requests,
                                                          const HttpTimeouts& timeouts) {
  std::vector<Result<HttpResponse>> results(
      requests.size(), Status::Internal("HTTP_NOT_SENT", "request was not sent"));
  auto* multi = static_cast<CURLM*>(Borrow());
  if (!multi) {
    for (auto& r : results) r = Status::Internal("CURL_INIT", "curl_multi_init failed");
    return results;
  }
  std::vector<std::unique_ptr<Transfer>> transfers;
  transfers.reserve(requests.size());
  for (const HttpRequest& req : requests) {
    transfers.push_back(Prepare(req, timeouts, options_));
    if (transfers.back()->easy) curl_multi_add_handle(multi, transfers.back()->easy);
  }
  int running = 0;
  do {
    CURLMcode mc = curl_multi_perform(multi, &running);
    if (mc == CURLM_OK && running > 0) mc = curl_multi_poll(multi, nullptr, 0, 1000, nullptr);
    if (mc != CURLM_OK) break;
  } while (running > 0);

  int pending = 0;
  while (CURLMsg* msg = curl_multi_info_read(multi, &pending)) {
    if (msg->msg != CURLMSG_DONE) continue;
    Transfer* t = nullptr;
    curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &t);
    const size_t i = static_cast<size_t>(std::find_if(transfers.begin(), transfers.end(),
                                                      [&](const auto& p) { return p.get() == t; }) -
                                         transfers.begin());
    if (i >= transfers.size()) continue;
    if (msg->data.result == CURLE_OK) {
      curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE, &t->response.status);
      results[i] = std::move(t->response);
    } else {
      long request_bytes = 0;
      curl_easy_getinfo(msg->easy_handle, CURLINFO_REQUEST_SIZE, &request_bytes);
      results[i] = TransportError(msg->data.result, *t, request_bytes > 0);
    }
  }
  for (auto& t : transfers) {
    if (t->easy) curl_multi_remove_handle(multi, t->easy);
  }
  transfers.clear();  // easy handles go before the multi returns to the pool
  Return(multi);
  return results;
}

}  // namespace ingestd::http
