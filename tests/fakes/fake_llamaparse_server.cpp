#include "tests/fakes/fake_llamaparse_server.h"

#include <algorithm>
#include <condition_variable>
#include <ctime>
#include <deque>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include <nlohmann/json.hpp>

#include "core/crypto.h"
#include "services/http/curl_http_client.h"
#include "tests/fakes/fake_http_server.h"
#include "tests/fakes/fake_multipart.h"

namespace ingestd::fakes {
namespace {

using nlohmann::json;

FakeReply Detail(int status, const std::string& detail) {
  return FakeReply{FakeReply::kSend, status, json{{"detail", detail}}.dump(), {}};
}

FakeReply Json(const json& body) { return FakeReply{FakeReply::kSend, 200, body.dump(), {}}; }

// The pages a job that ran to its outcome parsed (and billed, unless a cache hit).
int PagesOf(ParseOutcome outcome) {
  if (outcome == ParseOutcome::kSuccess) return FakeLlamaParseServer::kPages;
  if (outcome == ParseOutcome::kPartialSuccess) return FakeLlamaParseServer::kPartialPages;
  return 0;
}

}  // namespace

struct FakeLlamaParseServer::Impl {
  FakeLlamaParseOptions options;
  mutable std::mutex mu;
  std::deque<ParseOutcome> outcomes;
  std::deque<UploadFault> upload_faults;
  std::deque<UploadFault> result_faults;
  std::function<void()> before_result;
  UploadFault outage = UploadFault::kNone;
  json answer_patch;  // null: none (SetAnswerPatch)
  std::vector<FakeParseJob> jobs;
  std::map<std::string, std::string> markdown_by_sha;  // SetMarkdown
  int requests = 0;
  int in_flight = 0;      // uploaded, not finished yet (complete_after_ms >= 0)
  int max_in_flight = 0;  // the most at once
  std::vector<FakeLlamaParseRequest> log;
  std::set<std::string> keys;          // accepted (options.api_key and AddKey's)
  std::set<std::string> revoked;       // answered 401
  std::vector<std::thread> finishers;  // one per job when complete_after_ms >= 0
  std::condition_variable stop_cv;
  bool stopping = false;

  bool Wait(int64_t ms) {
    std::unique_lock lock(mu);
    stop_cv.wait_for(lock, std::chrono::milliseconds(ms), [&] { return stopping; });
    return !stopping;
  }
  std::unique_ptr<FakeHttpServer> http;  // last: its threads use the members above

  // Runs on a finisher thread: completes the job after the delay, then delivers webhooks.
  void Finish(std::string id) {
    if (!Wait(options.complete_after_ms)) return;
    std::string config;
    {
      std::lock_guard lock(mu);
      FakeParseJob* job = Find(id);
      job->finished = true;
      --in_flight;
      Bill(*job);
      config = job->webhook_configurations;
    }
    const auto hooks = json::parse(config.empty() ? "[]" : config, nullptr, false);
    if (options.webhooks == WebhookDelivery::kNone || !hooks.is_array() || hooks.empty() ||
        !hooks[0].is_object()) {
      return;
    }
    if (!Wait(options.webhook_delay_ms)) return;
    std::string event_type = "parse.success";
    {
      std::lock_guard lock(mu);
      const ParseOutcome outcome = Find(id)->outcome;
      if (outcome == ParseOutcome::kError) event_type = "parse.error";
      if (outcome == ParseOutcome::kCancelled) event_type = "parse.cancelled";
      if (outcome == ParseOutcome::kPartialSuccess) event_type = "parse.partial_success";
    }
    // The delivery format of https://developers.llamaindex.ai/llamaparse/general/webhooks/
    // (events, retries) as issue 12 §5 reads it: the event object, sent as a JSON-encoded
    // string unless webhook_output_format is "json"; its id and type also as headers.
    const std::string event_id = "evt-" + Sha256Hex(id).substr(0, 16);
    const json event = {{"event_id", event_id},
                        {"event_type", event_type},
                        {"timestamp", static_cast<double>(::time(nullptr)) + 0.25},
                        {"data", {{"id", id}, {"job_id", id}}}};
    const bool as_json = hooks[0].value("webhook_output_format", "") == "json";
    const std::string body = as_json ? event.dump() : json(event.dump()).dump();
    http::HttpRequest req;
    req.method = "POST";
    req.url = hooks[0].value("webhook_url", "");
    req.body = body;
    req.headers = {{"Content-Type", "application/json"},
                   {"X-Webhook-Event-ID", event_id},
                   {"X-Webhook-Event-Type", event_type}};
    const std::string secret = hooks[0].value("webhook_signing_secret", "");
    if (!secret.empty()) {
      req.headers.emplace_back("LC-Signature", "sha256=" + HexEncode(HmacSha256(secret, body)));
    }
    http::CurlHttpClient client;
    // Each delivery is retried until answered 2xx, 3 attempts at most; kTwice delivers the
    // same event again after its first success (a redelivery).
    const int deliveries = options.webhooks == WebhookDelivery::kTwice ? 2 : 1;
    for (int i = 0; i < deliveries; ++i) {
      for (int attempt = 0; attempt < 3; ++attempt) {
        auto r = client.Send(req, http::HttpTimeouts{.connect_ms = 2'000, .total_ms = 5'000});
        const long status = r.ok() ? r->status : 0;
        {
          std::lock_guard lock(mu);
          Find(id)->webhook_statuses.push_back(status);
        }
        if (status >= 200 && status < 300) break;
      }
    }
  }

  // What happens after the reply is made, outside the lock.
  struct After {
    bool slow = false;         // wait hang_ms before answering
    bool result_hook = false;  // before_result, then answer
  };

  FakeReply Serve(const FakeRequest& req) {
    After after;
    FakeReply reply;
    std::function<void()> hook;
    {
      std::lock_guard lock(mu);
      ++requests;
      reply = Route(req, &after);
      if (!answer_patch.is_null() && reply.status == 200) {
        json body = json::parse(reply.body, nullptr, false);
        if (body.is_object()) {
          body.merge_patch(answer_patch);
          reply.body = body.dump();
        }
      }
      log.push_back({req.method, req.target, req.Header("authorization"), reply.status,
                     req.Header("traceparent"), req.Header("tracestate")});
      if (after.result_hook) hook = before_result;
    }
    if (hook) hook();
    if (after.slow) Wait(options.hang_ms);
    return reply;
  }

  // A served request's answer under fault f (kCutAnswer, kSlowAnswer; others: as is).
  static FakeReply Lose(FakeReply reply, UploadFault f, After* after) {
    if (f == UploadFault::kCutAnswer) reply.action = FakeReply::kCut;
    if (f == UploadFault::kSlowAnswer) after->slow = true;
    return reply;
  }

  static bool Refuses(UploadFault f) {
    return f == UploadFault::kRateLimit || f == UploadFault::kServerError ||
           f == UploadFault::kOutOfCredits;
  }

  // Bills a job that parsed pages, once; a cache hit is free.
  static void Bill(FakeParseJob& job) {
    if (PagesOf(job.outcome) > 0 && !job.cache_hit) job.billed = true;
  }

  FakeReply Route(const FakeRequest& req, After* after) {
    if (outage != UploadFault::kNone) return FaultReply(outage);
    const std::string auth = req.Header("authorization");
    const std::string key = auth.starts_with("Bearer ") ? auth.substr(7) : "";
    if (!keys.contains(key) || revoked.contains(key)) {
      return Detail(401, "Invalid authentication token");
    }
    const std::string prefix = "/api/v1/parsing/job/";
    if (req.method == "POST" && req.target == "/api/v1/parsing/upload") return Upload(req, after);
    if (req.method == "GET" && req.target.starts_with(prefix)) {
      std::string rest = req.target.substr(prefix.size());
      const std::string suffix = "/result/markdown";
      const bool result = rest.ends_with(suffix);
      if (result) rest.resize(rest.size() - suffix.size());
      FakeParseJob* job = Find(rest);
      if (!job) return Detail(404, "Job not found");
      return result ? Result(*job, after) : Status(*job);
    }
    return Detail(404, "Not Found");
  }

  FakeReply Upload(const FakeRequest& req, After* after) {
    UploadFault f = UploadFault::kNone;
    if (!upload_faults.empty()) {
      f = upload_faults.front();
      upload_faults.pop_front();
      if (Refuses(f)) return FaultReply(f);
    }
    FakeParseJob job;
    for (const FormPart& p : ParseMultipart(req.Header("content-type"), req.body)) {
      if (p.name == "file") {
        job.filename = p.filename;
        job.sha256 = Sha256Hex(p.data);
      } else if (p.name == "tier") {
        job.tier = p.data;
      } else if (p.name == "webhook_configurations") {
        job.webhook_configurations = p.data;
      }
    }
    if (job.filename.empty()) return Detail(400, "No file provided");
    for (const FakeParseJob& earlier : jobs) {
      if (earlier.sha256 == job.sha256) job.cache_hit = true;
    }
    job.id = Sha256Hex(job.sha256 + std::to_string(jobs.size())).substr(0, 8) + "-fake-job";
    if (!outcomes.empty()) {
      job.outcome = outcomes.front();
      outcomes.pop_front();
    }
    jobs.push_back(job);
    if (options.complete_after_ms >= 0) {
      max_in_flight = std::max(max_in_flight, ++in_flight);
      finishers.emplace_back([this, id = job.id] { Finish(id); });
    }
    return Lose(Json({{"id", job.id}, {"status", "PENDING"}}), f, after);
  }

  static FakeReply FaultReply(UploadFault f) {
    if (f == UploadFault::kRateLimit) {
      FakeReply r = Detail(429, "Too many requests");
      r.headers.emplace_back("retry-after", "1");
      return r;
    }
    if (f == UploadFault::kOutOfCredits) return Detail(402, "Insufficient credits");
    return Detail(500, "Internal Server Error");
  }

  FakeParseJob* Find(const std::string& id) {
    for (FakeParseJob& j : jobs) {
      if (j.id == id) return &j;
    }
    return nullptr;
  }

  FakeReply Status(FakeParseJob& job) {
    std::string status = "PENDING";
    const bool done =
        options.complete_after_ms >= 0 ? job.finished : job.polls >= options.pending_polls;
    ++job.polls;
    if (done) Bill(job);
    if (done) {
      switch (job.outcome) {
        case ParseOutcome::kSuccess:
          status = "SUCCESS";
          break;
        case ParseOutcome::kPartialSuccess:
          status = "PARTIAL_SUCCESS";
          break;
        case ParseOutcome::kError:
          status = "ERROR";
          break;
        case ParseOutcome::kCancelled:
          status = "CANCELLED";
          break;
        case ParseOutcome::kNeverFinishes:
          break;
      }
    }
    json body = {{"id", job.id}, {"status", status}};
    if (status == "ERROR") {
      body["error_code"] = "PDF_IS_BROKEN";
      body["error_message"] = "The PDF file could not be read";
    } else if (status == "CANCELLED") {
      body["error_code"] = "JOB_CANCELLED";
      body["error_message"] = "The job was cancelled by the user";
    }
    return Json(body);
  }

  FakeReply Result(const FakeParseJob& job, After* after) {
    const bool done =
        options.complete_after_ms >= 0 ? job.finished : job.polls > options.pending_polls;
    const int pages = PagesOf(job.outcome);
    if (pages == 0 || !done) return Detail(400, "Job is not completed");
    UploadFault f = UploadFault::kNone;
    if (!result_faults.empty()) {
      f = result_faults.front();
      result_faults.pop_front();
      if (Refuses(f)) return FaultReply(f);
    }
    after->result_hook = f == UploadFault::kNone;
    const auto prepared = markdown_by_sha.find(job.sha256);
    return Lose(Json({{"markdown", prepared != markdown_by_sha.end()
                                       ? prepared->second
                                       : MarkdownFor(job.filename, job.sha256, pages)},
                      {"job_metadata",
                       {{"job_pages", pages},
                        {"job_is_cache_hit", job.cache_hit},
                        {"credits_used", job.cache_hit ? 0 : pages}}}}),
                f, after);
  }
};

FakeLlamaParseServer::FakeLlamaParseServer(FakeLlamaParseOptions options)
    : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  impl_->keys.insert(impl_->options.api_key);
  impl_->http =
      std::make_unique<FakeHttpServer>([this](const FakeRequest& req) { return impl_->Serve(req); },
                                       impl_->options.hang_ms, impl_->options.port);
}

FakeLlamaParseServer::~FakeLlamaParseServer() {
  std::vector<std::thread> finishers;
  {
    std::lock_guard lock(impl_->mu);
    impl_->stopping = true;  // ends the finishers' waits
    finishers.swap(impl_->finishers);
  }
  impl_->stop_cv.notify_all();
  for (auto& t : finishers) t.join();
  impl_->http.reset();
}

std::string FakeLlamaParseServer::base_url() const { return impl_->http->base_url(); }

void FakeLlamaParseServer::PushOutcome(ParseOutcome outcome) {
  std::lock_guard lock(impl_->mu);
  impl_->outcomes.push_back(outcome);
}

void FakeLlamaParseServer::PushUploadFault(UploadFault fault) {
  std::lock_guard lock(impl_->mu);
  impl_->upload_faults.push_back(fault);
}

void FakeLlamaParseServer::PushResultFault(UploadFault fault) {
  std::lock_guard lock(impl_->mu);
  impl_->result_faults.push_back(fault);
}

void FakeLlamaParseServer::SetBeforeResult(std::function<void()> hook) {
  std::lock_guard lock(impl_->mu);
  impl_->before_result = std::move(hook);
}

int64_t FakeLlamaParseServer::billed_pages() const {
  std::lock_guard lock(impl_->mu);
  int64_t pages = 0;
  for (const FakeParseJob& j : impl_->jobs) {
    if (j.billed) pages += PagesOf(j.outcome);
  }
  return pages;
}

void FakeLlamaParseServer::AddKey(const std::string& key) {
  std::lock_guard lock(impl_->mu);
  impl_->keys.insert(key);
  impl_->revoked.erase(key);
}

void FakeLlamaParseServer::RevokeKey(const std::string& key) {
  std::lock_guard lock(impl_->mu);
  impl_->revoked.insert(key);
}

std::vector<FakeLlamaParseRequest> FakeLlamaParseServer::requests() const {
  std::lock_guard lock(impl_->mu);
  return impl_->log;
}

void FakeLlamaParseServer::SetOutage(UploadFault fault) {
  std::lock_guard lock(impl_->mu);
  impl_->outage = fault;
}

void FakeLlamaParseServer::SetAnswerPatch(const std::string& merge_patch) {
  std::lock_guard lock(impl_->mu);
  impl_->answer_patch = merge_patch.empty() ? json() : json::parse(merge_patch);
}

int FakeLlamaParseServer::uploads_accepted() const {
  std::lock_guard lock(impl_->mu);
  return static_cast<int>(impl_->jobs.size());
}

int FakeLlamaParseServer::max_in_flight() const {
  std::lock_guard lock(impl_->mu);
  return impl_->max_in_flight;
}

int FakeLlamaParseServer::requests_seen() const {
  std::lock_guard lock(impl_->mu);
  return impl_->requests;
}

std::vector<FakeParseJob> FakeLlamaParseServer::jobs() const {
  std::lock_guard lock(impl_->mu);
  return impl_->jobs;
}

void FakeLlamaParseServer::SetMarkdown(const std::string& sha256, std::string markdown) {
  std::lock_guard lock(impl_->mu);
  impl_->markdown_by_sha[sha256] = std::move(markdown);
}

std::string FakeLlamaParseServer::MarkdownFor(const std::string& filename,
                                              const std::string& sha256, int pages) {
  std::string md;
  for (int p = 1; p <= pages; ++p) {
    md += "# Page " + std::to_string(p) + "\n\nParsed " + filename + " (" + sha256.substr(0, 12) +
          "), page " + std::to_string(p) + ".\n\n";
  }
  return md;
}

}  // namespace ingestd::fakes
