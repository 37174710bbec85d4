#include "services/http/retrying_sender.h"

#include <algorithm>
#include <optional>

#include "services/http/retry_hints.h"

namespace ingestd::http {

bool IsTransientHttpStatus(long status) {
  return status == 408 || status == 409 || status == 429 || status >= 500;
}

Result<std::vector<HttpResponse>> SendWithRetry(const RetryDeps& deps,
                                                const std::vector<HttpRequest>& requests,
                                                const HttpTimeouts& timeouts,
                                                const RetryPolicy& policy,
                                                const ResponseClassifier& classify,
                                                SendStats* stats, const ExchangeObserver& observe) {
  SendStats local;
  SendStats& st = stats ? *stats : local;
  std::vector<std::optional<HttpResponse>> done(requests.size());
  std::vector<size_t> pending(requests.size());
  for (size_t i = 0; i < pending.size(); ++i) pending[i] = i;
  int64_t waited = 0;
  for (int attempt = 1;; ++attempt) {
    std::vector<HttpRequest> wave;
    wave.reserve(pending.size());
    for (size_t i : pending) wave.push_back(requests[i]);
    const int64_t sent_at = deps.clock->NowMillis();
    const int64_t started = deps.clock->MonotonicMillis();
    std::vector<Result<HttpResponse>> results = deps.client->SendAll(wave, timeouts);
    const int64_t latency = deps.clock->MonotonicMillis() - started;
    st.requests_sent += static_cast<int>(wave.size());

    std::vector<size_t> again;
    std::optional<Status> last_error;
    std::optional<int64_t> hint;
    std::optional<Status> fatal;  // the first; the wave's other answers are still classified
    for (size_t w = 0; w < results.size(); ++w) {
      Status s = results[w].ok() ? classify(pending[w], *results[w]) : results[w].status();
      if (observe) observe({pending[w], &results[w], &s, sent_at, latency, attempt});
      if (s.ok()) {
        done[pending[w]] = std::move(results[w].value());
        continue;
      }
      if (!s.retryable()) {
        if (!fatal) fatal = std::move(s);
        continue;
      }
      if (results[w].ok()) {
        if (auto h = SuggestedRetryDelayMs(*results[w], deps.clock->NowMillis())) {
          hint = std::max(hint.value_or(0), *h);
        }
      }
      again.push_back(pending[w]);
      last_error = std::move(s);
    }
    if (fatal) return *fatal;
    if (again.empty()) break;

    const int64_t delay = BackoffDelayMs(policy.backoff, attempt, deps.env->UnitRandom(), hint);
    const int64_t wanted = std::max(delay, hint.value_or(0));
    if (attempt >= policy.max_attempts || waited + wanted > policy.max_total_wait_ms ||
        wanted > delay) {
      return last_error->WithRetryAfterMs(wanted);
    }
    deps.env->SleepMs(delay);
    st.sleeps_ms.push_back(delay);
    waited += delay;
    ++st.retries;
    pending = std::move(again);
  }
  std::vector<HttpResponse> out;
  out.reserve(done.size());
  for (auto& r : done) out.push_back(std::move(*r));
  return out;
}

}  // namespace ingestd::http
