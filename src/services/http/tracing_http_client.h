// TracingHttpClient: an HttpClient that makes each request it sends a span (core/trace.h): a
// child of the span current on the calling thread (the stage, for a provider call made for a
// job; the root of a new trace otherwise), sent on as a W3C `traceparent` header with a new
// span id per request, the parent's `tracestate` passed through. The span ends with the
// exchange: its status code, or the transport error. Thread-safe when the inner client is.
#pragma once

#include <memory>

#include "services/http/http_client.h"

namespace ingestd::http {

class TracingHttpClient final : public HttpClient {
 public:
  explicit TracingHttpClient(std::unique_ptr<HttpClient> inner) : inner_(std::move(inner)) {}

  std::vector<Result<HttpResponse>> SendAll(std::span<const HttpRequest> requests,
                                            const HttpTimeouts& timeouts) override;

 private:
  std::unique_ptr<HttpClient> inner_;
};

// A TracingHttpClient over a CurlHttpClient with default options: the provider clients' own.
std::unique_ptr<HttpClient> NewTracedCurlClient();

}  // namespace ingestd::http
