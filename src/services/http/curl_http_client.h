// CurlHttpClient: HttpClient over libcurl's multi interface.
//
// Connection reuse: each SendAll borrows a multi handle from a pool; a multi handle keeps
// its connection cache (and HTTP/2 sessions, DNS and TLS session caches) across calls, so
// a worker that embeds batch after batch talks over warm connections. Concurrent SendAll
// calls borrow different handles, so nothing is shared between threads without a lock.
#pragma once

#include <mutex>
#include <vector>

#include "services/http/http_client.h"

namespace ingestd::http {

struct CurlOptions {
  // Parallel connections per host within one SendAll (HTTP/2 multiplexes over fewer).
  long max_host_connections = 8;
  // Verify the peer's TLS certificate (tests against plain-http fakes do not need it off).
  bool verify_tls = true;
};

class CurlHttpClient final : public HttpClient {
 public:
  explicit CurlHttpClient(CurlOptions options = {});
  ~CurlHttpClient() override;
  CurlHttpClient(const CurlHttpClient&) = delete;
  CurlHttpClient& operator=(const CurlHttpClient&) = delete;

  std::vector<Result<HttpResponse>> SendAll(std::span<const HttpRequest> requests,
                                            const HttpTimeouts& timeouts) override;

 private:
  void* Borrow();            // a CURLM*, from the pool or new
  void Return(void* multi);  // back to the pool

  CurlOptions options_;
  std::mutex mu_;
  std::vector<void*> idle_;  // CURLM* handles not in use
};

}  // namespace ingestd::http
