#include "trace/otlp_exporter.h"

#include <random>

#include "core/log.h"
#include "services/http/retry_hints.h"
#include "trace/otlp_json.h"

namespace ingestd::otlp {

// Sleeps until the time is up or Shutdown begins, so a retry wait never holds up a stop.
class OtlpExporter::StopAwareEnv final : public http::RetryEnv {
 public:
  explicit StopAwareEnv(OtlpExporter* owner) : owner_(owner) {}
  void SleepMs(int64_t ms) override {
    std::unique_lock lock(owner_->mu_);
    owner_->wake_.wait_for(lock, std::chrono::milliseconds(ms), [&] { return owner_->stopping_; });
  }
  double UnitRandom() override {
    std::lock_guard lock(mu_);
    return std::uniform_real_distribution<double>(0.0, 1.0)(rng_);
  }

 private:
  OtlpExporter* owner_;
  std::mutex mu_;
  std::mt19937_64 rng_{std::random_device{}()};
};

namespace {

std::string TracesUrl(std::string endpoint) {
  while (endpoint.ends_with('/')) endpoint.pop_back();
  return endpoint + "/v1/traces";
}

}  // namespace

OtlpExporter::OtlpExporter(OtlpOptions options, OtlpDeps deps)
    : options_(std::move(options)), url_(TracesUrl(options_.endpoint)), deps_(deps) {
  if (!deps_.env) {
    own_env_ = std::make_unique<StopAwareEnv>(this);
    deps_.env = own_env_.get();
  }
  if (!deps_.clock) deps_.clock = SystemClock::Default();
  thread_ = std::thread([this] { Run(); });
}

OtlpExporter::~OtlpExporter() { Shutdown(); }

void OtlpExporter::OnEnd(trace::SpanData span) {
  std::lock_guard lock(mu_);
  if (stopping_ || queue_.size() >= options_.max_queue) {
    ++dropped_;
    return;
  }
  queue_.push_back(std::move(span));
  if (queue_.size() >= options_.max_batch) wake_.notify_all();
}

void OtlpExporter::Shutdown() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

ExportCounts OtlpExporter::counts() const {
  std::lock_guard lock(mu_);
  return {exported_, dropped_, static_cast<int64_t>(queue_.size())};
}

void OtlpExporter::Run() {
  std::unique_lock lock(mu_);
  for (;;) {
    wake_.wait_for(lock, std::chrono::milliseconds(options_.flush_interval_ms),
                   [&] { return stopping_ || queue_.size() >= options_.max_batch; });
    while (!queue_.empty()) {
      const size_t n = std::min(queue_.size(), options_.max_batch);
      std::vector<trace::SpanData> batch(std::make_move_iterator(queue_.begin()),
                                         std::make_move_iterator(queue_.begin() + n));
      queue_.erase(queue_.begin(), queue_.begin() + n);
      lock.unlock();
      const int64_t lost = Send(batch);
      lock.lock();
      dropped_ += lost;
      exported_ += static_cast<int64_t>(batch.size()) - lost;
      // Between interval flushes only full batches go; at the end everything does.
      if (!stopping_ && queue_.size() < options_.max_batch) break;
    }
    if (stopping_) return;
  }
}

int64_t OtlpExporter::Send(const std::vector<trace::SpanData>& batch) {
  http::HttpRequest req;
  req.method = "POST";
  req.url = url_;
  req.headers = {{"Content-Type", "application/json"}};
  req.body = EncodeExport(batch, options_.service_name).dump();
  std::string failure;
  for (int attempt = 1;; ++attempt) {
    Result<http::HttpResponse> r = deps_.client->Send(req, options_.timeouts);
    if (r.ok() && r->status >= 200 && r->status < 300) {
      return std::min<int64_t>(RejectedSpans(r->body), static_cast<int64_t>(batch.size()));
    }
    // The specification's retryable answers; a transport failure is retried too.
    const bool retryable =
        !r.ok() || r->status == 429 || r->status == 502 || r->status == 503 || r->status == 504;
    failure = r.ok() ? "collector answered " + std::to_string(r->status) : r.status().ToString();
    if (!retryable || attempt >= options_.max_attempts || Stopping()) break;
    std::optional<int64_t> hint;
    if (r.ok()) hint = http::SuggestedRetryDelayMs(*r, deps_.clock->NowMillis());
    deps_.env->SleepMs(BackoffDelayMs(options_.backoff, attempt, deps_.env->UnitRandom(), hint));
    if (Stopping()) break;
  }
  log::Warn("span export failed; spans dropped", {{"error", failure}, {"spans", batch.size()}});
  return static_cast<int64_t>(batch.size());
}

bool OtlpExporter::Stopping() const {
  std::lock_guard lock(mu_);
  return stopping_;
}

}  // namespace ingestd::otlp
