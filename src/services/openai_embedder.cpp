#include "services/openai_embedder.h"

#include <algorithm>
#include <atomic>
#include <limits>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "core/json_read.h"
#include "core/log.h"
#include "services/call_audit.h"
#include "services/http/retry_hints.h"
#include "services/http/tracing_http_client.h"
#include "services/keys/key_call.h"
#include "services/openai_errors.h"
#include "services/openai_wire.h"
#include "text/tokenizer.h"

namespace ingestd {
namespace {

int NativeDimensions(std::string_view model) {
  if (model == "text-embedding-3-small" || model == "text-embedding-ada-002") return 1536;
  if (model == "text-embedding-3-large") return 3072;
  return 0;
}

Status ConfigError(const std::string& why) { return Status::InvalidArgument("OPENAI_CONFIG", why); }

// How long to pause before a wave of `requests` requests carrying `tokens` tokens, given
// the rate-limit headers of the last answers (the lowest remaining budget counts): long
// enough for the wave to fit, not until the limits are full again.
int64_t ThrottleDelayMs(const std::vector<http::HttpResponse>& last, size_t requests,
                        int64_t tokens) {
  int64_t delay = 0;
  for (const auto& r : last) {
    delay = std::max({delay, http::RateLimitWaitMs(r, "requests", static_cast<int64_t>(requests)),
                      http::RateLimitWaitMs(r, "tokens", tokens)});
  }
  return delay;
}

}  // namespace

struct OpenAiEmbedder::Impl {
  OpenAiEmbedderConfig config;
  std::unique_ptr<http::HttpClient> owned_client;
  http::RetryDeps retry;
  std::string url;
  http::HttpClient* client = nullptr;
  std::unique_ptr<KeyRing> owned_keys;
  KeyRing* keys = nullptr;
  AuditSink* audit = nullptr;
  std::atomic<int64_t> requests_sent{0};
  std::atomic<int64_t> retries{0};

  // What the caller makes of a 2xx answer to request r (vectors kept, usage tokens set).
  using Accept = std::function<Status(size_t r, const http::HttpResponse&, int64_t* tokens)>;
  // Sends one wave of request bodies with one key. A 401 takes that key out of rotation and
  // the requests not yet answered go again with the next key. Every exchange is audited,
  // and metered (ctx.billed): inputs[r] texts and counted[r] tokens (our own count) per body.
  Result<std::vector<http::HttpResponse>> SendWave(const std::vector<std::string>& bodies,
                                                   const std::vector<int64_t>& inputs,
                                                   const std::vector<int64_t>& counted,
                                                   const Accept& accept, const CallContext& ctx);
};

namespace {

// The tokens OpenAI billed for one exchange: it bills every request it answered 200 (its
// usage when the answer is readable, else our own count), and one whose answer was lost after
// it was sent may have been billed (our count: a budget must not under-count).
int64_t BilledTokens(const http::ExchangeRecord& x, int64_t reported, int64_t counted) {
  if (x.result->ok()) {
    const long status = (*x.result)->status;
    if (status < 200 || status >= 300) return 0;
    // Its usage once read (also when the caller then refused it), else our own count.
    return x.verdict->ok() || reported > 0 ? reported : counted;
  }
  return http::MayHaveReachedUpstream(x.result->status()) ? counted : 0;
}

}  // namespace

Result<std::vector<http::HttpResponse>> OpenAiEmbedder::Impl::SendWave(
    const std::vector<std::string>& bodies, const std::vector<int64_t>& inputs,
    const std::vector<int64_t>& counted, const Accept& accept, const CallContext& ctx) {
  std::vector<std::optional<http::HttpResponse>> answered(bodies.size());
  for (KeyAttempts attempts(keys, ctx.job_id, ctx.correlation_id);;) {
    auto key = attempts.Next();
    if (!key.ok()) return key.status();
    std::vector<size_t> sent_idx;  // request index in this send → index in bodies
    std::vector<http::HttpRequest> requests;
    for (size_t r = 0; r < bodies.size(); ++r) {
      if (answered[r]) continue;
      http::HttpRequest req;
      req.method = "POST";
      req.url = url;
      req.headers = {{"Authorization", "Bearer " + (*key)->secret},
                     {"Content-Type", "application/json"}};
      if (!ctx.correlation_id.empty()) {
        req.headers.emplace_back("X-Correlation-ID", ctx.correlation_id);
      }
      req.body = bodies[r];
      sent_idx.push_back(r);
      requests.push_back(std::move(req));
    }
    std::vector<int64_t> tokens(bodies.size(), 0);
    const auto classify = [&](size_t i, const http::HttpResponse& resp) -> Status {
      if (Status s = openai::ClassifyResponse(resp, (*key)->secret); !s.ok()) return s;
      Status s = accept(sent_idx[i], resp, &tokens[sent_idx[i]]);
      // Accepted answers are kept (headers only, for the throttle) even when another request
      // of the wave fails: a retry with the next key must not pay for them twice.
      if (s.ok()) answered[sent_idx[i]] = http::HttpResponse{resp.status, resp.headers, {}};
      return s;
    };
    const auto observe = [&](const http::ExchangeRecord& x) {
      attempts.Saw(x.result->ok() ? (*x.result)->status : 0);
      const size_t body = sent_idx[x.request_index];
      if (ctx.billed != nullptr) ctx.billed->Add(BilledTokens(x, tokens[body], counted[body]));
      if (!audit) return;
      AuditRecord a = AuditFor(ctx, x, "embed", "openai", "embeddings", (*key)->id);
      a.model = config.model;
      a.inputs = inputs[sent_idx[x.request_index]];
      if (x.verdict->ok()) a.tokens = tokens[sent_idx[x.request_index]];
      audit->Record(std::move(a));
    };
    http::SendStats st;
    auto sent =
        http::SendWithRetry(retry, requests, config.timeouts, config.retry, classify, &st, observe);
    requests_sent += st.requests_sent;
    retries += st.retries;
    if (sent.ok()) break;
    if (!attempts.RetryAfterUnauthorized(*key, sent.status())) {
      log::Warn("openai embeddings failed", {{"correlation_id", ctx.correlation_id},
                                             {"job_id", ctx.job_id},
                                             {"code", sent.status().code()},
                                             {"key_id", (*key)->id},
                                             {"requests_sent", st.requests_sent},
                                             {"retries", st.retries}});
      return sent.status();
    }
  }
  std::vector<http::HttpResponse> out;
  out.reserve(answered.size());
  for (auto& r : answered) out.push_back(std::move(*r));
  return out;
}

Result<int> CheckOpenAiEmbedConfig(const OpenAiEmbedderConfig& config, bool has_key_ring) {
  if (config.api_key.empty() && !has_key_ring) {
    return ConfigError("OPENAI_API_KEY is not set (nor OPENAI_API_KEYS / OPENAI_API_KEYS_FILE)");
  }
  if (!config.base_url.starts_with("http://") && !config.base_url.starts_with("https://")) {
    return ConfigError("OPENAI_BASE_URL must start with http:// or https://");
  }
  const int native = NativeDimensions(config.model);
  if (config.dimensions && (*config.dimensions < 1 || (native && *config.dimensions > native))) {
    return ConfigError("OPENAI_EMBED_DIMENSIONS is out of range for " + config.model);
  }
  if (config.dimensions && config.model == "text-embedding-ada-002") {
    return ConfigError("text-embedding-ada-002 takes no OPENAI_EMBED_DIMENSIONS");
  }
  if (!config.dimensions && native == 0) {
    return ConfigError("unknown model '" + config.model + "': set OPENAI_EMBED_DIMENSIONS");
  }
  if (config.max_in_flight == 0 || config.limits.max_inputs == 0 ||
      config.limits.max_tokens < config.max_input_tokens) {
    return ConfigError("request limits are inconsistent");
  }
  return config.dimensions.value_or(native);
}

std::string EmbeddingsRequestBody(const OpenAiEmbedderConfig& config,
                                  const std::vector<std::string>& inputs) {
  nlohmann::json body = {{"model", config.model}, {"input", inputs}, {"encoding_format", "base64"}};
  if (config.dimensions) body["dimensions"] = *config.dimensions;
  return body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string EmbedModelTag(const OpenAiEmbedderConfig& config) {
  return config.dimensions ? config.model + "@" + std::to_string(*config.dimensions) : config.model;
}

Result<std::unique_ptr<OpenAiEmbedder>> OpenAiEmbedder::Create(OpenAiEmbedderConfig config,
                                                               OpenAiEmbedderDeps deps) {
  Result<int> dims = CheckOpenAiEmbedConfig(config, deps.keys != nullptr);
  if (!dims.ok()) return dims.status();
  return std::unique_ptr<OpenAiEmbedder>(new OpenAiEmbedder(std::move(config), deps, *dims));
}

OpenAiEmbedder::OpenAiEmbedder(OpenAiEmbedderConfig config, OpenAiEmbedderDeps deps, int dimensions)
    : impl_(std::make_unique<Impl>()), dimensions_(dimensions) {
  impl_->config = std::move(config);
  while (impl_->config.base_url.ends_with('/')) impl_->config.base_url.pop_back();
  impl_->url = impl_->config.base_url + "/v1/embeddings";
  if (!deps.client) {
    impl_->owned_client = http::NewTracedCurlClient();
    deps.client = impl_->owned_client.get();
  }
  impl_->client = deps.client;
  impl_->keys = deps.keys;
  if (!impl_->keys) {
    impl_->owned_keys = std::make_unique<KeyRing>(
        "openai", std::vector<ApiKey>{{"default", impl_->config.api_key}}, deps.clock);
    impl_->keys = impl_->owned_keys.get();
  }
  impl_->audit = deps.audit;
  impl_->retry = {deps.client, deps.env ? deps.env : http::SystemRetryEnv::Default(),
                  deps.clock ? deps.clock : SystemClock::Default()};
}

OpenAiEmbedder::~OpenAiEmbedder() = default;

std::string OpenAiEmbedder::model() const { return EmbedModelTag(impl_->config); }

OpenAiEmbedder::Stats OpenAiEmbedder::stats() const {
  return {impl_->requests_sent.load(), impl_->retries.load()};
}

Status OpenAiEmbedder::CheckHealth(const CallContext& ctx) {
  const OpenAiEmbedderConfig& cfg = impl_->config;
  std::string answer;
  for (KeyAttempts attempts(impl_->keys, ctx.job_id, ctx.correlation_id);;) {
    auto key = attempts.Next();
    if (!key.ok()) return key.status();
    http::HttpRequest req;
    req.url = cfg.base_url + "/v1/models/" + cfg.model;
    req.headers = {{"Authorization", "Bearer " + (*key)->secret}};
    if (!ctx.correlation_id.empty()) {
      req.headers.emplace_back("X-Correlation-ID", ctx.correlation_id);
    }
    auto resp = impl_->client->Send(req, cfg.probe_timeouts);
    if (!resp.ok()) return resp.status();
    Status s = openai::ClassifyResponse(*resp, (*key)->secret);
    if (s.ok()) {
      answer = std::move(resp->body);
      break;
    }
    attempts.Saw(resp->status);
    if (!attempts.RetryAfterUnauthorized(*key, s)) return s;
  }
  const auto body = nlohmann::json::parse(answer, nullptr, false);
  if (body.is_discarded() || !body.is_object() || json_read::String(body, "id") != cfg.model) {
    return Status::Error(Kind::kUpstream, "UPSTREAM_BAD_RESPONSE",
                         "openai models: the answer does not describe " + cfg.model, true);
  }
  return Status();
}

Result<EmbedOutput> OpenAiEmbedder::Embed(const std::vector<std::string>& texts,
                                          const CallContext& ctx) {
  const OpenAiEmbedderConfig& cfg = impl_->config;
  EmbedOutput out;
  out.model = model();
  out.implementation = name();
  if (texts.empty()) return out;

  // Token counts and truncation to the per-input limit.
  const Tokenizer& tok = Tokenizer::Cl100kBase();
  std::vector<int64_t> tokens(texts.size());
  std::unordered_map<size_t, std::string> cut;  // index → truncated text
  for (size_t i = 0; i < texts.size(); ++i) {
    if (texts[i].empty()) {
      return Status::InvalidArgument("EMBED_EMPTY_INPUT",
                                     "text " + std::to_string(i) + " is empty");
    }
    tokens[i] = static_cast<int64_t>(tok.Count(texts[i]));
    if (tokens[i] > cfg.max_input_tokens) {
      log::Warn("embedding input truncated", {{"correlation_id", ctx.correlation_id},
                                              {"job_id", ctx.job_id},
                                              {"input", i},
                                              {"tokens", tokens[i]},
                                              {"limit", cfg.max_input_tokens}});
      cut[i] = tok.Truncate(texts[i], static_cast<size_t>(cfg.max_input_tokens));
      tokens[i] = static_cast<int64_t>(tok.Count(cut[i]));
      out.truncated_inputs.push_back(i);
    }
  }
  const auto text_of = [&](size_t i) -> const std::string& {
    auto it = cut.find(i);
    return it == cut.end() ? texts[i] : it->second;
  };

  const std::vector<std::vector<size_t>> packs = openai::PackRequests(tokens, cfg.limits);
  auto request_tokens = [&](size_t p) {
    int64_t sum = 0;
    for (size_t i : packs[p]) sum += tokens[i];
    return sum;
  };
  out.vectors.resize(texts.size());
  std::vector<http::HttpResponse> last_wave;
  for (size_t first = 0; first < packs.size(); first += cfg.max_in_flight) {
    const size_t end = std::min(packs.size(), first + cfg.max_in_flight);
    int64_t wave_tokens = 0;
    std::vector<std::string> bodies;
    std::vector<int64_t> inputs, counted;
    for (size_t p = first; p < end; ++p) {
      wave_tokens += request_tokens(p);
      counted.push_back(request_tokens(p));
      std::vector<std::string> input;
      for (size_t i : packs[p]) input.push_back(text_of(i));
      bodies.push_back(EmbeddingsRequestBody(cfg, input));
      inputs.push_back(static_cast<int64_t>(packs[p].size()));
    }
    const int64_t pause = std::min(ThrottleDelayMs(last_wave, bodies.size(), wave_tokens),
                                   cfg.retry.backoff.max_delay_ms);
    if (pause > 0) impl_->retry.env->SleepMs(pause);

    Status stopped;  // the caller's first refusal (ctx.embedded): no request goes out after it
    const auto accept = [&](size_t r, const http::HttpResponse& resp, int64_t* used) -> Status {
      const std::vector<size_t>& pack = packs[first + r];
      auto parsed = openai::ParseEmbeddingsBody(resp.body, pack.size(), dimensions_);
      if (!parsed.ok()) return parsed.status();
      *used = parsed->total_tokens;
      // Every accepted answer of the wave is heard, also after a refusal: each was paid for.
      if (ctx.embedded != nullptr) {
        Status heard = ctx.embedded->Accept(pack, parsed->vectors, out.model, dimensions_);
        if (!heard.ok() && stopped.ok()) stopped = std::move(heard);
      }
      for (size_t k = 0; k < pack.size(); ++k) out.vectors[pack[k]] = std::move(parsed->vectors[k]);
      out.total_tokens += parsed->total_tokens;
      if (stopped.ok()) return Status();
      return Status::Error(stopped.kind(), stopped.code(), stopped.message(), false);
    };
    auto sent = impl_->SendWave(bodies, inputs, counted, accept, ctx);
    if (!stopped.ok()) return stopped;
    if (!sent.ok()) return sent.status();
    for (auto& r : *sent) r.body.clear();  // keep only headers for the throttle
    last_wave = std::move(*sent);
  }
  return out;
}

}  // namespace ingestd
