// CallbackDeliverer: POSTs completion callbacks (issue 13 §4) from the store's outbox
// (Store::ClaimCallbacks), signed as Standard Webhooks 1.0 specifies
// (https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md):
//   webhook-id         the outbox row's id, the same on every redelivery
//   webhook-timestamp  unix seconds of this attempt
//   webhook-signature  "v1," + base64(HMAC-SHA256(key, id + "." + timestamp + "." + body))
// The body is {"type": "job.completed" | "job.failed", "job": <the view GET
// /api/v1/jobs/{id} answers>}, built at the first attempt and kept for redeliveries (the
// store keeps it with the row), so every attempt signs the same bytes.
//
// At least once: a row leaves the outbox only after a 2xx (event CALLBACK_DELIVERED) or
// when given up (event CALLBACK_GAVE_UP): 410 Gone, a target that now resolves to a
// forbidden address, or when the next attempt would come later than max_age_ms after the
// job ended. Every other answer or transport failure is retried with exponential backoff
// and jitter, no sooner than the receiver's Retry-After (event CALLBACK_ATTEMPT_FAILED).
// Redirects are not followed (a failure, as the spec advises). Claims are leased, so with
// several processes on one database no two deliver the same row at once; a process that
// dies mid-attempt leaves its rows to be taken over when the lease ends.
//
// Without Start() nothing runs by itself: tests step it with DeliverDue(). Thread-safe.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "api/callback_url.h"
#include "core/backoff.h"
#include "core/clock.h"
#include "services/http/http_client.h"
#include "store/store.h"

namespace ingestd::api {

struct CallbackOptions {
  // The HMAC key: the base64 decoded after "whsec_" in INGESTD_CALLBACK_SECRET.
  std::string signing_key;
  int64_t max_age_ms = 24 * 3'600'000;  // INGESTD_CALLBACK_MAX_AGE_MS
  CallbackUrlPolicy urls;
  BackoffPolicy backoff{
      .base_delay_ms = 1'000, .max_delay_ms = 600'000, .multiplier = 2.0, .jitter = Jitter::kEqual};
  // The spec's advice is 15-30 s per attempt; the lease outlasts one round of attempts.
  http::HttpTimeouts timeouts{.connect_ms = 10'000, .total_ms = 30'000};
  int64_t lease_ms = 60'000;
  int64_t poll_ms = 500;  // how often the outbox is read for due rows
  int batch = 16;         // rows claimed, and attempted at once, per round
};

// Standard Webhooks' signature header value of one attempt (exposed for tests).
std::string SignCallback(const std::string& key, const std::string& webhook_id, int64_t timestamp_s,
                         const std::string& body);

class CallbackDeliverer {
 public:
  // store, client and clock must outlive the deliverer. unit_random draws the jitter in
  // [0, 1); default: a seeded generator.
  CallbackDeliverer(CallbackOptions options, Store* store, http::HttpClient* client,
                    const Clock* clock, std::function<double()> unit_random = nullptr);
  ~CallbackDeliverer();  // Stop()
  CallbackDeliverer(const CallbackDeliverer&) = delete;
  CallbackDeliverer& operator=(const CallbackDeliverer&) = delete;

  void Start();
  // Ends the thread after the round in flight; rows it holds are released by their lease.
  void Stop();
  // One round: claims the due rows and attempts them. Returns how many were attempted (or
  // given up), or the store's failure to claim.
  Result<int> DeliverDue();

 private:
  void Run();
  // The body of m: its kept body, else built from the job now.
  Result<std::string> BodyOf(const CallbackMessage& m);
  void Finish(const CallbackMessage& m, const char* code, nlohmann::json payload, int64_t now);
  void AfterFailure(const CallbackMessage& m, const std::string& body, const std::string& error,
                    long http_status, std::optional<int64_t> retry_after_ms, int64_t now);

  const CallbackOptions options_;
  Store* const store_;
  http::HttpClient* const client_;
  const Clock* const clock_;
  const std::string id_;  // this deliverer's claim name
  std::function<double()> unit_random_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;  // guarded by mu_
  std::thread thread_;
};

}  // namespace ingestd::api
