// The seam between HTTP I/O (http_server) and request handling (router, handlers).
//
// For each request the server reads the header, asks the Dispatcher for an Exchange, feeds
// it the body as it arrives (never holding a whole upload in memory), then calls Finish()
// on the handler thread pool — so blocking work (SQLite, fsync) never runs on an I/O thread.
#pragma once

#include <boost/beast/http/message.hpp>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/jwt.h"
#include "core/status.h"
#include "core/trace.h"

namespace ingestd::api {

// A response body made piece by piece, so a large answer (an export) never sits whole in
// memory: the server sends each piece as one chunk (Transfer-Encoding: chunked) and asks for
// the next only after the previous one was written to the socket.
class BodyStream {
 public:
  virtual ~BodyStream() = default;
  // Called on a handler thread, one call at a time. Appends the next piece to *out (which
  // arrives empty) and returns true while more follow, false with the last one. A failure
  // (or a throw) ends the response without the final chunk, so the client sees it cut off.
  virtual Result<bool> Next(std::string* out) = 0;
};

struct ApiResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  std::shared_ptr<BodyStream> stream;  // when set, the body is this stream's, chunked
  std::string error_code;              // an error body's code (errors.h); "" otherwise
};

// A request as handlers see it: plain values, no Beast types.
struct ApiRequest {
  std::string method;
  std::string path;
  std::map<std::string, std::string> query;
  std::map<std::string, std::string> params;   // from the route pattern, e.g. {id}
  std::map<std::string, std::string> headers;  // lower-case names
  std::string correlation_id;
  // The request's span (http_server.cpp): a job created for this request continues it.
  trace::SpanContext trace;
  std::optional<JwtClaims> caller;  // set on authenticated routes
  std::string body;                 // buffered routes only

  std::string Header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? "" : it->second;
  }
};

class Exchange {
 public:
  virtual ~Exchange() = default;
  // Called on an I/O thread with each piece of the body. A non-OK status ends the request
  // with that error at once (the connection then closes, the rest of the body unread).
  // Must be quick: append to a file at most.
  virtual Status OnBody(std::string_view data) = 0;
  // Called once on a handler thread after the whole body arrived.
  virtual ApiResponse Finish() = 0;
};

using RequestHeader = boost::beast::http::request_header<>;

// What a route does with uploads, for the upload metrics: kSlot asks for a signed upload URL
// (its refusals are uploads refused), kFile carries the file (its successes are uploads
// accepted, its refusals uploads refused).
enum class UploadRole { kNone, kSlot, kFile };

// The route a request matched: a label of bounded cardinality (the pattern, never the path).
struct RouteMatch {
  static constexpr std::string_view kUnmatched = "unmatched";
  std::string_view pattern = kUnmatched;  // points into the dispatcher's route table
  UploadRole upload = UploadRole::kNone;
};

class Dispatcher {
 public:
  virtual ~Dispatcher() = default;
  // Returns the exchange for this request, or nullptr after filling *early with the
  // response to send without reading the body (unknown route, bad token, too large…).
  // Sets *matched to the route the method and path matched (left as is when none did).
  virtual std::unique_ptr<Exchange> Begin(const RequestHeader& head,
                                          const std::string& correlation_id, ApiResponse* early,
                                          RouteMatch* matched) = 0;
};

// One request as the server answered it, reported when its response header goes out (so a
// streamed body's latency is its time to the first byte). Views are valid during the call.
struct RequestRecord {
  std::string_view method;
  RouteMatch route;
  int status = 0;
  std::string_view error_code;  // ApiResponse::error_code
  double seconds = 0;           // from the request header read to the response header
};

// Hears every answered request (HTTP metrics). Called on I/O threads, concurrently: must be
// thread-safe and quick.
class RequestObserver {
 public:
  virtual ~RequestObserver() = default;
  virtual void OnRequest(const RequestRecord& record) = 0;
};

// One POST /api/v1/search whose body was read (every field of its type and range, so the mode
// is known), as the handler answered it: outcome "ok" or the refusal's error code
// (INVALID_QUERY, the rate limit's, the embedder's…), and the handler's time from the read
// body to the answer. Views are valid during the call.
struct SearchRecord {
  std::string_view mode;     // "hybrid" | "vector" | "keyword"
  std::string_view outcome;  // "ok" | an error code
  double seconds = 0;
};

// Hears every such search (search metrics). Called on handler threads, concurrently: must be
// thread-safe and quick.
class SearchObserver {
 public:
  virtual ~SearchObserver() = default;
  virtual void OnSearch(const SearchRecord& record) = 0;
};

}  // namespace ingestd::api
