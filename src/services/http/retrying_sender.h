// SendWithRetry: sends a set of requests, several in flight, and retries the ones that fail
// transiently, with exponential backoff and jitter (core/backoff.h) that honours the
// provider's Retry-After / retry-after-ms hints (retry_hints.h).
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "core/backoff.h"
#include "core/clock.h"
#include "services/http/http_client.h"
#include "services/http/retry_env.h"

namespace ingestd::http {

struct RetryPolicy {
  BackoffPolicy backoff{
      .base_delay_ms = 500, .max_delay_ms = 20'000, .multiplier = 2.0, .jitter = Jitter::kEqual};
  int max_attempts = 4;                // per request, the first try included
  int64_t max_total_wait_ms = 60'000;  // sleep budget of one SendWithRetry call
};

// What a completed exchange of requests[request_index] means. OK: accept the response. A
// retryable Status: try again (the loop attaches the response's retry hint). Any other
// Status: give up on the whole set. A classifier may parse the body and keep the result
// (it is called on the caller's thread, once per exchange).
using ResponseClassifier = std::function<Status(size_t request_index, const HttpResponse&)>;

// Status codes any HTTP API treats as transient: 408, 409 (OpenAI: "try again"), 429, 5xx.
bool IsTransientHttpStatus(long status);

struct SendStats {
  int requests_sent = 0;  // exchanges attempted, retries included
  int retries = 0;
  std::vector<int64_t> sleeps_ms;
};

// One exchange as it happened (each try of each request), for callers that account for
// every request they send (the audit log). Pointers are valid during the observer call only.
struct ExchangeRecord {
  size_t request_index = 0;
  const Result<HttpResponse>* result = nullptr;  // the answer, or the transport error
  const Status* verdict = nullptr;               // OK, or the classifier's / the transport's error
  int64_t sent_at_ms = 0;                        // wall time the wave went out
  int64_t latency_ms = 0;                        // of the wave it went out in (sent together)
  int attempt = 1;                               // 1 for the first try, 2 for the first retry…
};
using ExchangeObserver = std::function<void(const ExchangeRecord&)>;

struct RetryDeps {
  HttpClient* client = nullptr;
  RetryEnv* env = nullptr;
  const Clock* clock = nullptr;  // wall time for HTTP-date Retry-After
};

// One response per request, in order, once every request succeeded. Fails with the first
// non-retryable error, or, when attempts or the wait budget run out, with the last
// retryable error carrying retry_after_ms (the provider's hint, or the next backoff delay)
// so a caller that reschedules the whole job can honour it. A hint longer than
// backoff.max_delay_ms is not slept here: it is handed to the caller at once. observe (if
// set) hears every exchange right after it was classified, on the caller's thread.
Result<std::vector<HttpResponse>> SendWithRetry(
    const RetryDeps& deps, const std::vector<HttpRequest>& requests, const HttpTimeouts& timeouts,
    const RetryPolicy& policy, const ResponseClassifier& classify, SendStats* stats = nullptr,
    const ExchangeObserver& observe = nullptr);

}  // namespace ingestd::http
