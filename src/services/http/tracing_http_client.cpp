#include "services/http/tracing_http_client.h"

#include "core/trace.h"
#include "services/http/curl_http_client.h"

namespace ingestd::http {
namespace {

// "https://host:port/path?query" → {"host:port", "/path"}; the query is left out of spans.
std::pair<std::string, std::string> HostAndPath(const std::string& url) {
  const size_t scheme = url.find("://");
  const size_t host_at = scheme == std::string::npos ? 0 : scheme + 3;
  const size_t path_at = url.find('/', host_at);
  const std::string host = url.substr(host_at, path_at - host_at);
  if (path_at == std::string::npos) return {host, "/"};
  return {host, url.substr(path_at, url.find('?', path_at) - path_at)};
}

}  // namespace

std::vector<Result<HttpResponse>> TracingHttpClient::SendAll(std::span<const HttpRequest> requests,
                                                             const HttpTimeouts& timeouts) {
  std::vector<HttpRequest> traced(requests.begin(), requests.end());
  std::vector<std::unique_ptr<trace::Span>> spans;
  spans.reserve(traced.size());
  for (HttpRequest& r : traced) {
    auto [host, path] = HostAndPath(r.url);
    auto span = std::make_unique<trace::Span>(r.method + " " + path, trace::SpanKind::kClient);
    span->SetAttribute("http.request.method", r.method);
    span->SetAttribute("server.address", host);
    span->SetAttribute("url.path", path);
    std::erase_if(r.headers, [](const auto& h) {
      return h.first == "traceparent" || h.first == "tracestate";
    });
    r.headers.emplace_back("traceparent", trace::FormatTraceparent(span->context()));
    if (!span->context().tracestate.empty()) {
      r.headers.emplace_back("tracestate", span->context().tracestate);
    }
    spans.push_back(std::move(span));
  }
  std::vector<Result<HttpResponse>> results = inner_->SendAll(traced, timeouts);
  for (size_t i = 0; i < results.size() && i < spans.size(); ++i) {
    if (!results[i].ok()) {
      spans[i]->SetError(results[i].status().code());
    } else {
      spans[i]->SetAttribute("http.response.status_code", results[i]->status);
      if (results[i]->status >= 400) spans[i]->SetError(std::to_string(results[i]->status));
    }
    spans[i]->End();
  }
  return results;
}

std::unique_ptr<HttpClient> NewTracedCurlClient() {
  return std::make_unique<TracingHttpClient>(std::make_unique<CurlHttpClient>());
}

}  // namespace ingestd::http
