// HttpClient: the seam between provider clients (OpenAI, LlamaParse) and the network. The
// real implementation is CurlHttpClient; tests script responses with a fake.
//
// A transport failure (no connection, timeout, reset) is an error Status; any HTTP response,
// 4xx and 5xx included, is a value: deciding what a status code means is the caller's job.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"

namespace ingestd::http {

using Headers = std::vector<std::pair<std::string, std::string>>;

// One file part of a multipart/form-data body, streamed from disk (never read into memory).
struct FilePart {
  std::string field;      // form field name, e.g. "file"
  std::string path;       // readable local file
  std::string filename;   // name sent to the server
  std::string mime_type;  // e.g. "application/pdf"
};

struct HttpRequest {
  std::string method = "GET";
  std::string url;
  Headers headers;   // sent as given; may hold secrets (Authorization): never logged
  std::string body;  // ignored when form_fields or form_file is set
  // multipart/form-data: plain fields plus an optional file streamed from disk.
  std::vector<std::pair<std::string, std::string>> form_fields;
  std::optional<FilePart> form_file;
  // "host:port:address[,address…]" entries: the connection goes to those addresses only,
  // never to a fresh resolution of the host (a caller that checked where a name points pins
  // it, so DNS cannot change it in between). Empty: the resolver decides.
  std::vector<std::string> resolve;
};

struct HttpResponse {
  long status = 0;
  Headers headers;  // names lower-cased, in arrival order (final response only)
  std::string body;

  // The first header named `name` (lower-case), if any.
  std::optional<std::string_view> Header(std::string_view name) const;
};

struct HttpTimeouts {
  int64_t connect_ms = 10'000;
  int64_t total_ms = 120'000;  // whole exchange, upload and download included
  // Abort when fewer than low_speed_bytes per second move for low_speed_window_s seconds:
  // catches a stalled peer long before total_ms on big transfers.
  int64_t low_speed_bytes = 1;
  int64_t low_speed_window_s = 30;
  int64_t max_response_bytes = 256 << 20;
};

// Whether a transport failure came after the request was sent: the upstream may have done
// (and billed) the work whose answer was lost.
inline bool MayHaveReachedUpstream(const Status& transport_error) {
  return transport_error.code() == "UPSTREAM_TIMEOUT" ||
         transport_error.code() == "UPSTREAM_CONNECTION";
}

class HttpClient {
 public:
  virtual ~HttpClient() = default;
  // Sends all requests, several in flight at once, and returns one result per request in
  // the same order. Transport failures: kUnavailable (retryable) "UPSTREAM_UNREACHABLE" (the
  // request never reached the upstream: no connection, or it was not sent whole),
  // "UPSTREAM_TIMEOUT" or "UPSTREAM_CONNECTION" (it was sent, and the answer did not come
  // or broke off: the upstream may have processed it — see MayHaveReachedUpstream);
  // kUpstream (not retryable) "UPSTREAM_TRANSPORT" for the rest (TLS verification, bad URL);
  // "UPSTREAM_RESPONSE_TOO_LARGE". Messages never contain headers. Thread-safe.
  virtual std::vector<Result<HttpResponse>> SendAll(std::span<const HttpRequest> requests,
                                                    const HttpTimeouts& timeouts) = 0;

  Result<HttpResponse> Send(const HttpRequest& request, const HttpTimeouts& timeouts) {
    return std::move(SendAll(std::span(&request, 1), timeouts).front());
  }
};

}  // namespace ingestd::http
