#include "services/llamaparse_parser.h"

#include <algorithm>
#include <fstream>
#include <iterator>
#include <limits>

#include "core/json_read.h"
#include "core/log.h"
#include "services/call_audit.h"
#include "services/http/tracing_http_client.h"
#include "services/keys/key_call.h"
#include "services/llamaparse_webhook.h"
#include "services/openai_errors.h"
#include "services/pdf_pages.h"

namespace ingestd {
namespace {

// A job id no upload ever gets: the health probe asks for it and expects 404.
constexpr std::string_view kProbeJobId = "00000000-0000-0000-0000-000000000000";

// A string field of a provider answer, "" when absent or of another type.
std::string StringField(const nlohmann::json& j, const char* name) {
  return json_read::String(j, name).value_or("");
}

Status BadResponse(const std::string& why) {
  return Status::Error(Kind::kUpstream, "UPSTREAM_BAD_RESPONSE", "llamaparse: " + why, true);
}

// LlamaParse answers errors FastAPI-style: {"detail": "..."} (a string or a list).
Status Classify(const http::HttpResponse& r, const std::string& api_key) {
  if (r.status >= 200 && r.status < 300) return Status();
  std::string what = "llamaparse: HTTP " + std::to_string(r.status);
  if (r.status == 401 || r.status == 403) {
    return Status::Error(Kind::kUpstream, "UPSTREAM_AUTH", what + " (check LLAMAPARSE_API_KEY)");
  }
  const auto j = nlohmann::json::parse(r.body, nullptr, false);
  if (!j.is_discarded() && j.is_object() && j.contains("detail")) {
    std::string detail =
        j["detail"].is_string() ? j["detail"].get<std::string>() : j["detail"].dump();
    detail = openai::Redact(detail.substr(0, 300), api_key);
    what += ": " + detail;
  }
  // 402: the account is out of credits. Like OpenAI's insufficient_quota, a budget that no
  // retry refills: a hybrid route falls back.
  if (r.status == 402) return Status::Error(Kind::kBudgetExceeded, "UPSTREAM_QUOTA", what);
  if (r.status == 429)
    return Status::Error(Kind::kRateLimited, "UPSTREAM_RATE_LIMITED", what, true);
  if (http::IsTransientHttpStatus(r.status)) {
    return Status::Error(Kind::kUnavailable, "UPSTREAM_UNAVAILABLE", what, true);
  }
  if (r.status == 404) return Status::Error(Kind::kUpstream, "UPSTREAM_PARSE_JOB_UNKNOWN", what);
  return Status::Error(Kind::kUpstream, "UPSTREAM_BAD_REQUEST", what);
}

}  // namespace

Result<std::unique_ptr<LlamaParseParser>> LlamaParseParser::Create(LlamaParseConfig config,
                                                                   LlamaParseDeps deps) {
  if (config.api_key.empty() && deps.keys == nullptr) {
    return Status::InvalidArgument(
        "LLAMAPARSE_CONFIG",
        "LLAMAPARSE_API_KEY is not set (nor LLAMAPARSE_API_KEYS / LLAMAPARSE_API_KEYS_FILE)");
  }
  if (!config.base_url.starts_with("http://") && !config.base_url.starts_with("https://")) {
    return Status::InvalidArgument("LLAMAPARSE_CONFIG",
                                   "LLAMAPARSE_BASE_URL must start with http:// or https://");
  }
  if (!deps.recorder) {
    return Status::InvalidArgument("LLAMAPARSE_CONFIG", "no provider job recorder");
  }
  return std::unique_ptr<LlamaParseParser>(new LlamaParseParser(std::move(config), deps));
}

LlamaParseParser::LlamaParseParser(LlamaParseConfig config, LlamaParseDeps deps)
    : config_(std::move(config)), deps_(deps) {
  while (config_.base_url.ends_with('/')) config_.base_url.pop_back();
  while (config_.webhook_base_url.ends_with('/')) config_.webhook_base_url.pop_back();
  if (!deps_.client) {
    owned_client_ = http::NewTracedCurlClient();
    deps_.client = owned_client_.get();
  }
  if (!deps_.env) deps_.env = http::SystemRetryEnv::Default();
  if (!deps_.clock) deps_.clock = SystemClock::Default();
  keys_ = deps_.keys;
  if (!keys_) {
    owned_keys_ = std::make_unique<KeyRing>(
        "llamaparse", std::vector<ApiKey>{{"default", config_.api_key}}, deps_.clock);
    keys_ = owned_keys_.get();
  }
}

LlamaParseParser::~LlamaParseParser() = default;

Result<nlohmann::json> LlamaParseParser::Call(http::HttpRequest req, const CallContext& ctx,
                                              const char* audited, int* lost_answers) {
  req.headers.emplace_back("Accept", "application/json");
  if (!ctx.correlation_id.empty()) req.headers.emplace_back("X-Correlation-ID", ctx.correlation_id);
  std::vector<AuditRecord> rows;  // recorded once the usage of a result is known
  const auto finish = [&](Result<nlohmann::json> r) {
    if (deps_.audit) {
      for (AuditRecord& a : rows) deps_.audit->Record(std::move(a));
    }
    return r;
  };
  for (KeyAttempts attempts(keys_, ctx.job_id, ctx.correlation_id);;) {
    auto key = attempts.Next();
    if (!key.ok()) return finish(key.status());
    std::vector<http::HttpRequest> keyed = {req};
    keyed[0].headers.emplace_back("Authorization", "Bearer " + (*key)->secret);
    const auto observe = [&](const http::ExchangeRecord& x) {
      attempts.Saw(x.result->ok() ? (*x.result)->status : 0);
      if (audited) rows.push_back(AuditFor(ctx, x, "parse", "llamaparse", audited, (*key)->id));
      if (lost_answers && !x.result->ok() && http::MayHaveReachedUpstream(x.result->status())) {
        ++*lost_answers;
      }
    };
    auto sent = http::SendWithRetry(
        {deps_.client, deps_.env, deps_.clock}, keyed, config_.timeouts, config_.retry,
        [&](size_t, const http::HttpResponse& r) { return Classify(r, (*key)->secret); }, nullptr,
        observe);
    if (!sent.ok()) {
      if (attempts.RetryAfterUnauthorized(*key, sent.status())) continue;
      return finish(sent.status());
    }
    auto j = nlohmann::json::parse(sent->front().body, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
      if (lost_answers) ++*lost_answers;  // answered 2xx: the work may have been done
      return finish(BadResponse("response is not a JSON object"));
    }
    // The result reports the pages billed for the job: its row carries them (and the cost).
    if (const auto* meta = json_read::Find(j, "job_metadata"); !rows.empty() && meta) {
      rows.back().pages = std::max<int64_t>(0, json_read::Int(*meta, "job_pages").value_or(0));
      rows.back().cache_hit = json_read::Bool(*meta, "job_is_cache_hit").value_or(false);
    }
    return finish(std::move(j));
  }
}

Status LlamaParseParser::CheckHealth(const CallContext& ctx) {
  for (KeyAttempts attempts(keys_, ctx.job_id, ctx.correlation_id);;) {
    auto key = attempts.Next();
    if (!key.ok()) return key.status();
    http::HttpRequest req;
    req.url = config_.base_url + "/api/v1/parsing/job/" + std::string(kProbeJobId);
    req.headers = {{"Authorization", "Bearer " + (*key)->secret}, {"Accept", "application/json"}};
    if (!ctx.correlation_id.empty()) {
      req.headers.emplace_back("X-Correlation-ID", ctx.correlation_id);
    }
    auto resp = deps_.client->Send(req, config_.probe_timeouts);
    if (!resp.ok()) return resp.status();
    if (resp->status == 404) return Status();  // authenticated, and the service answers
    Status s = Classify(*resp, (*key)->secret);
    attempts.Saw(resp->status);
    if (!attempts.RetryAfterUnauthorized(*key, s)) return s;
  }
}

Result<std::string> LlamaParseParser::Upload(const ParseInput& in, const CallContext& ctx) {
  http::HttpRequest req;
  req.method = "POST";
  req.url = config_.base_url + "/api/v1/parsing/upload";
  req.form_fields = {{"tier", config_.tier}, {"version", "latest"}};
  if (!config_.webhook_base_url.empty() && !config_.webhook_master_secret.empty()) {
    const nlohmann::json hooks = nlohmann::json::array(
        {{{"webhook_url", config_.webhook_base_url + llamaparse::WebhookPath(ctx.job_id)},
          {"webhook_events",
           {"parse.success", "parse.error", "parse.partial_success", "parse.cancelled"}},
          {"webhook_output_format", "json"},
          {"webhook_signing_secret",
           llamaparse::WebhookSecret(config_.webhook_master_secret, ctx.job_id)}}});
    req.form_fields.emplace_back("webhook_configurations", hooks.dump());
  }
  req.form_file = http::FilePart{"file", in.pdf_path,
                                 (in.document_id.empty() ? "document" : in.document_id) + ".pdf",
                                 "application/pdf"};
  int lost = 0;
  auto j = Call(std::move(req), ctx, "upload", &lost);
  Result<std::string> id = BadResponse("upload answer has no job id");
  if (!j.ok()) {
    id = j.status();
  } else if (j->contains("id") && (*j)["id"].is_string() &&
             !(*j)["id"].get<std::string>().empty()) {
    id = (*j)["id"].get<std::string>();
  } else {
    ++lost;
  }
  if (lost > 0 && ctx.billed != nullptr) {
    // Each upload whose answer was lost may have started a job that LlamaParse bills; we
    // never learn its id, so it is counted at the document's own page count.
    std::ifstream f(in.pdf_path, std::ios::binary);
    const int pages = CountPdfPages(std::string(std::istreambuf_iterator<char>(f), {}));
    ctx.billed->Add(static_cast<int64_t>(lost) * pages);
    log::Warn("llamaparse upload answers lost; counted as billed",
              {{"correlation_id", ctx.correlation_id},
               {"job_id", ctx.job_id},
               {"lost_answers", lost},
               {"pages_each", pages}});
  }
  return id;
}

int64_t LlamaParseParser::SleepUntilNotice(int64_t delay_ms, int notices, const CallContext& ctx) {
  const bool webhooks = !config_.webhook_base_url.empty() && config_.notice_check_ms > 0;
  if (!webhooks) {
    deps_.env->SleepMs(delay_ms);
    return delay_ms;
  }
  int64_t slept = 0;
  while (slept < delay_ms) {
    const int64_t slice = std::min(delay_ms - slept, config_.notice_check_ms);
    deps_.env->SleepMs(slice);
    slept += slice;
    auto now = deps_.recorder->CountNotices(ctx);
    if (now.ok() && *now > notices) break;
  }
  return slept;
}

Result<bool> LlamaParseParser::AwaitCompletion(const std::string& id, const CallContext& ctx) {
  int64_t waited = 0;
  auto seen = deps_.recorder->CountNotices(ctx);
  int notices = seen.ok() ? *seen : 0;
  for (int poll = 1;; ++poll) {
    http::HttpRequest req;
    req.url = config_.base_url + "/api/v1/parsing/job/" + id;
    auto j = Call(std::move(req), ctx);
    if (!j.ok()) return j.status();
    const std::string status = StringField(*j, "status");
    if (status == "SUCCESS") return false;
    if (status == "PARTIAL_SUCCESS") return true;
    // "CANCELED" is the spelling of older SDK comments; the API's StatusEnum has CANCELLED.
    if (status == "ERROR" || status == "CANCELLED" || status == "CANCELED") {
      const std::string code = StringField(*j, "error_code");
      std::string why = "llamaparse job " + status;
      if (!code.empty()) why += " " + code;
      const std::string message = StringField(*j, "error_message");
      if (!message.empty()) why += ": " + message.substr(0, 300);
      why = openai::Redact(why, config_.api_key);
      if (status == "ERROR")
        return Status::Error(Kind::kUnprocessable, "UPSTREAM_PARSE_FAILED", why);
      return Status::Error(Kind::kUpstream, "UPSTREAM_PARSE_CANCELLED", why);
    }
    if (status != "PENDING") return BadResponse("unknown job status '" + status + "'");
    if (config_.park_pending) return Pending(ctx);
    const int64_t delay = BackoffDelayMs(config_.poll, poll, deps_.env->UnitRandom());
    if (waited + delay > config_.job_timeout_ms) {
      return Status::Unavailable("UPSTREAM_PARSE_TIMEOUT", "llamaparse job still pending after " +
                                                               std::to_string(waited) + " ms")
          .WithRetryAfterMs(config_.poll.max_delay_ms);
    }
    waited += SleepUntilNotice(delay, notices, ctx);
    if (auto now = deps_.recorder->CountNotices(ctx); now.ok()) notices = *now;
  }
}

Status LlamaParseParser::Pending(const CallContext& ctx) {
  auto recorded = deps_.recorder->RecordedAtMs(ctx);
  const int64_t now = deps_.clock->NowMillis();
  const int64_t waited = recorded.ok() && *recorded > 0 ? std::max<int64_t>(now - *recorded, 0) : 0;
  if (waited > config_.job_timeout_ms) {
    return Status::Unavailable("UPSTREAM_PARSE_TIMEOUT", "llamaparse job still pending after " +
                                                             std::to_string(waited) + " ms")
        .WithRetryAfterMs(config_.poll.max_delay_ms);
  }
  const int64_t delay =
      std::clamp<int64_t>(waited / 2, config_.poll.base_delay_ms, config_.poll.max_delay_ms);
  return Status::Unavailable(kParsePendingCode, "llamaparse job pending").WithRetryAfterMs(delay);
}

Result<ParseOutput> LlamaParseParser::FetchMarkdown(const std::string& id, const CallContext& ctx) {
  http::HttpRequest req;
  req.url = config_.base_url + "/api/v1/parsing/job/" + id + "/result/markdown";
  auto j = Call(std::move(req), ctx, "result");
  if (!j.ok()) return j.status();
  if (!j->contains("markdown") || !(*j)["markdown"].is_string()) {
    return BadResponse("result has no markdown");
  }
  const auto* meta = json_read::Find(*j, "job_metadata");
  const auto pages = meta ? json_read::Int(*meta, "job_pages") : std::nullopt;
  if (!pages || *pages < 0 || *pages > std::numeric_limits<int>::max()) {
    return BadResponse("result has no job_metadata.job_pages");
  }
  ParseOutput out;
  out.markdown = (*j)["markdown"].get<std::string>();
  out.page_count = static_cast<int>(*pages);
  out.implementation = name();
  out.cache_hit = json_read::Bool(*meta, "job_is_cache_hit").value_or(false);
  if (ctx.billed != nullptr) ctx.billed->Add(out.cache_hit ? 0 : out.page_count);
  return out;
}

Result<ParseOutput> LlamaParseParser::Parse(const ParseInput& in, const CallContext& ctx) {
  auto found = deps_.recorder->Find(ctx);
  if (!found.ok()) return found.status();
  std::string id;
  if (found->has_value()) {
    id = **found;
    log::Info(
        "resuming llamaparse job",
        {{"correlation_id", ctx.correlation_id}, {"job_id", ctx.job_id}, {"provider_job_id", id}});
  } else {
    auto uploaded = Upload(in, ctx);
    if (!uploaded.ok()) return uploaded.status();
    id = *uploaded;
    if (Status s = deps_.recorder->Record(ctx, id); !s.ok()) {
      log::Error("llamaparse job submitted but not recorded; a retry will upload again",
                 {{"correlation_id", ctx.correlation_id},
                  {"job_id", ctx.job_id},
                  {"provider_job_id", id},
                  {"code", s.code()}});
      return Status::Unavailable("PARSE_JOB_NOT_RECORDED",
                                 "could not record llamaparse job " + id + ": " + s.message());
    }
  }
  Result<bool> partial = AwaitCompletion(id, ctx);
  const Status s = partial.ok() ? Status() : partial.status();
  if (!s.ok() && !s.retryable()) {
    // Resuming a failed job would fail the same way: let a retry start over.
    if (Status c = deps_.recorder->Close(ctx, id); !c.ok()) {
      log::Warn(
          "could not close the llamaparse job record",
          {{"correlation_id", ctx.correlation_id}, {"job_id", ctx.job_id}, {"code", c.code()}});
    }
  }
  if (!s.ok()) return s;
  auto out = FetchMarkdown(id, ctx);
  if (out.ok()) out->partial = *partial;
  return out;
}

}  // namespace ingestd
