#include "api/callback_deliverer.h"

#include <random>

#include "api/views.h"
#include "core/crypto.h"
#include "core/ids.h"
#include "core/last_resort.h"
#include "core/log.h"
#include "services/http/retry_hints.h"

namespace ingestd::api {
namespace {

constexpr char kDelivered[] = "CALLBACK_DELIVERED";
constexpr char kGaveUp[] = "CALLBACK_GAVE_UP";
constexpr char kAttemptFailed[] = "CALLBACK_ATTEMPT_FAILED";

nlohmann::json Payload(const CallbackMessage& m) {
  return {{"webhook_id", m.webhook_id}, {"type", m.type}, {"attempts", m.attempts}};
}

}  // namespace

std::string SignCallback(const std::string& key, const std::string& webhook_id, int64_t timestamp_s,
                         const std::string& body) {
  return "v1," +
         Base64Encode(HmacSha256(key, webhook_id + "." + std::to_string(timestamp_s) + "." + body));
}

CallbackDeliverer::CallbackDeliverer(CallbackOptions options, Store* store,
                                     http::HttpClient* client, const Clock* clock,
                                     std::function<double()> unit_random)
    : options_(std::move(options)),
      store_(store),
      client_(client),
      clock_(clock),
      id_("callbacks-" + NewUuidV4()),
      unit_random_(std::move(unit_random)) {
  if (!unit_random_) {
    unit_random_ = [rng = std::mt19937_64(std::random_device{}())]() mutable {
      return std::uniform_real_distribution<double>(0.0, 1.0)(rng);
    };
  }
}

CallbackDeliverer::~CallbackDeliverer() { Stop(); }

void CallbackDeliverer::Start() {
  std::lock_guard<std::mutex> lock(mu_);
  if (thread_.joinable() || stopping_) return;
  thread_ = std::thread([this] { Run(); });
}

void CallbackDeliverer::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void CallbackDeliverer::Run() {
  for (;;) {
    int attempted = 0;
    RunGuarded("callback deliverer", [&] {
      Result<int> n = DeliverDue();
      if (!n.ok()) {
        log::Warn("callback outbox unavailable", {{"code", n.status().code()}});
      } else {
        attempted = *n;
      }
    });
    std::unique_lock<std::mutex> lock(mu_);
    if (stopping_) return;
    // A full batch may have left more due rows: go on at once.
    if (attempted < options_.batch) {
      cv_.wait_for(lock, std::chrono::milliseconds(options_.poll_ms), [this] { return stopping_; });
    }
    if (stopping_) return;
  }
}

Result<std::string> CallbackDeliverer::BodyOf(const CallbackMessage& m) {
  if (!m.body.empty()) return m.body;
  Result<Job> job = store_->GetJob(m.user_id, m.job_id);
  if (!job.ok()) return job.status();
  Result<nlohmann::json> view = JobView(*store_, *job);
  if (!view.ok()) return view.status();
  return nlohmann::json{{"type", m.type}, {"job", std::move(*view)}}.dump();
}

void CallbackDeliverer::Finish(const CallbackMessage& m, const char* code, nlohmann::json payload,
                               int64_t now) {
  Event e{0, m.job_id, m.correlation_id, "callback", code, "", std::move(payload), now};
  Status s = store_->FinishCallback(m.id, id_, e);
  log::Info(code == std::string(kDelivered) ? "callback delivered" : "callback given up",
            {{"correlation_id", m.correlation_id},
             {"job_id", m.job_id},
             {"webhook_id", m.webhook_id},
             {"attempts", m.attempts},
             {"recorded", s.ok()},
             {"code", s.ok() ? std::string(code) : s.code()}});
}

void CallbackDeliverer::AfterFailure(const CallbackMessage& m, const std::string& body,
                                     const std::string& error, long http_status,
                                     std::optional<int64_t> retry_after_ms, int64_t now) {
  nlohmann::json payload = Payload(m);
  payload["error"] = error;
  if (http_status != 0) payload["http_status"] = http_status;
  const int64_t next =
      now + BackoffDelayMs(options_.backoff, m.attempts, unit_random_(), retry_after_ms);
  if (next > m.created_at_ms + options_.max_age_ms) {
    payload["reason"] = "MAX_AGE";
    Finish(m, kGaveUp, std::move(payload), now);
    return;
  }
  Status s = store_->RescheduleCallback(m.id, id_, next, body);
  if (!s.ok()) {
    // The row is left to its lease: another deliverer (or this one) takes it over.
    log::Warn("callback reschedule failed", {{"job_id", m.job_id}, {"code", s.code()}});
    return;
  }
  payload["next_attempt_at"] = FormatRfc3339(next);
  (void)store_->AppendEvent(
      Event{0, m.job_id, m.correlation_id, "callback", kAttemptFailed, "", payload, now});
}

Result<int> CallbackDeliverer::DeliverDue() {
  const int64_t now = clock_->NowMillis();
  Result<std::vector<CallbackMessage>> claimed =
      store_->ClaimCallbacks(id_, now, options_.lease_ms, options_.batch);
  if (!claimed.ok()) return claimed.status();
  std::vector<const CallbackMessage*> sending;
  std::vector<std::string> bodies;
  std::vector<http::HttpRequest> requests;
  for (const CallbackMessage& m : *claimed) {
    if (now > m.created_at_ms + options_.max_age_ms) {
      nlohmann::json payload = Payload(m);
      payload["reason"] = "MAX_AGE";
      Finish(m, kGaveUp, std::move(payload), now);
      continue;
    }
    Result<std::string> body = BodyOf(m);
    if (!body.ok()) {
      AfterFailure(m, "", body.status().code(), 0, std::nullopt, now);
      continue;
    }
    // Checked again now: the name may point elsewhere since the upload.
    Result<CallbackTarget> target = ResolveCallbackUrl(m.url, options_.urls);
    if (!target.ok()) {
      if (target.status().retryable()) {
        AfterFailure(m, *body, target.status().code(), 0, std::nullopt, now);
      } else {
        nlohmann::json payload = Payload(m);
        payload["reason"] = target.status().code();
        Finish(m, kGaveUp, std::move(payload), now);
      }
      continue;
    }
    const int64_t ts = now / 1000;
    http::HttpRequest r;
    r.method = "POST";
    r.url = m.url;
    r.headers = {{"Content-Type", "application/json"},
                 {"webhook-id", m.webhook_id},
                 {"webhook-timestamp", std::to_string(ts)},
                 {"webhook-signature", SignCallback(options_.signing_key, m.webhook_id, ts, *body)},
                 {"X-Correlation-ID", m.correlation_id}};
    r.body = *body;
    r.resolve = {target->ResolveEntry()};
    sending.push_back(&m);
    bodies.push_back(std::move(*body));
    requests.push_back(std::move(r));
  }
  std::vector<Result<http::HttpResponse>> answers =
      requests.empty() ? std::vector<Result<http::HttpResponse>>{}
                       : client_->SendAll(requests, options_.timeouts);
  const int64_t after = clock_->NowMillis();
  for (size_t i = 0; i < sending.size(); ++i) {
    const CallbackMessage& m = *sending[i];
    const Result<http::HttpResponse>& a = answers[i];
    if (!a.ok()) {
      AfterFailure(m, bodies[i], a.status().code(), 0, std::nullopt, after);
      continue;
    }
    nlohmann::json payload = Payload(m);
    payload["http_status"] = a->status;
    if (a->status >= 200 && a->status < 300) {
      Finish(m, kDelivered, std::move(payload), after);
    } else if (a->status == 410) {  // the receiver wants no more (Standard Webhooks)
      payload["reason"] = "HTTP_410";
      Finish(m, kGaveUp, std::move(payload), after);
    } else {
      AfterFailure(m, bodies[i], "HTTP_" + std::to_string(a->status), a->status,
                   http::SuggestedRetryDelayMs(*a, after), after);
    }
  }
  return static_cast<int>(claimed->size());
}

}  // namespace ingestd::api
