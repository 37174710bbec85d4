// OpenAiEmbedder: the real Embedder, OpenAI's POST {base}/v1/embeddings (DESIGN.md §7).
//
// One Embed call: counts tokens with the exact cl100k tokenizer, truncates inputs over 8192
// tokens at a token boundary (reported in EmbedOutput::truncated_inputs and a log line),
// packs the inputs into the fewest requests within 2048 inputs / 300,000 tokens, sends them
// max_in_flight at a time (pausing, when x-ratelimit-remaining-* says the next wave would
// not fit, until it would: http::RateLimitWaitMs), asks for base64 vectors and checks every one
// (count, index, dimensions, finite values) before anything is returned: a result is all vectors or
// an error, never a partial or made-up one. Each request's checked vectors also go to
// ctx.embedded (EmbedSink) as its answer is accepted, so a caller can keep them even when a
// later request fails; a refusal there ends the call once the wave in flight is answered.
//
// Billing (CallContext::billed): every exchange adds what OpenAI billed for it — the usage of
// each answer accepted, our own token count for a 200 whose body was unusable or for an
// answer lost after the request was sent (timeout, cut connection: it may have been billed),
// nothing for 4xx/5xx or a request that never reached OpenAI. Retries are counted each time,
// and a call that fails in the end has still reported what was billed before.
//
// Errors (codes are stable; messages never contain the API key):
//   retried here, then retryable with retry_after_ms for the worker:
//     UPSTREAM_RATE_LIMITED (kRateLimited, 429 rate_limit_exceeded), UPSTREAM_UNAVAILABLE
//     (kUnavailable, 408/409/5xx), UPSTREAM_TIMEOUT / UPSTREAM_CONNECTION (transport),
//     UPSTREAM_BAD_RESPONSE (kUpstream: unparsable body, wrong count/dimension, NaN)
//   never retried:
//     UPSTREAM_QUOTA (kBudgetExceeded, 429 insufficient_quota: out of budget, fall back),
//     UPSTREAM_AUTH (kUpstream, 403, or 401 of the last key: fix the keys),
//     PROVIDER_KEYS_EXHAUSTED (kUnavailable: no key left in rotation), UPSTREAM_BAD_REQUEST
//     (kUpstream, 400/404/422), EMBED_EMPTY_INPUT (kInvalidArgument: OpenAI rejects empty strings).
//   x-should-retry (as the official SDK): "false" makes any answer's error final, "true"
//   makes a 4xx other than 401/403/insufficient_quota retryable (UPSTREAM_UNAVAILABLE).
//   Retry-After(-ms) waits are capped at 120 s; x-ratelimit-reset-* is never waited out
//   for one request.
// Thread-safe: workers call Embed concurrently.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "audit/audit_log.h"
#include "core/clock.h"
#include "services/embedder.h"
#include "services/http/http_client.h"
#include "services/http/retrying_sender.h"
#include "services/keys/key_ring.h"
#include "services/openai_packing.h"

namespace ingestd {

struct OpenAiEmbedderConfig {
  std::string api_key;  // OPENAI_API_KEY (required unless OpenAiEmbedderDeps::keys is set)
  std::string base_url = "https://api.openai.com";  // OPENAI_BASE_URL
  std::string model = "text-embedding-3-small";     // OPENAI_EMBED_MODEL
  std::optional<int> dimensions;                    // OPENAI_EMBED_DIMENSIONS
  http::HttpTimeouts timeouts{.connect_ms = 10'000, .total_ms = 120'000};
  http::RetryPolicy retry;
  openai::PackLimits limits;
  int64_t max_input_tokens = 8192;
  size_t max_in_flight = 4;  // requests outstanding at once per Embed call
  http::HttpTimeouts probe_timeouts{.connect_ms = 5'000, .total_ms = 10'000};
};

struct OpenAiEmbedderDeps {
  http::HttpClient* client = nullptr;  // null: the embedder owns a traced CurlHttpClient
  http::RetryEnv* env = nullptr;       // null: SystemRetryEnv
  const Clock* clock = nullptr;        // null: SystemClock
  // The keys, round-robin (not owned; outlives the embedder). null: config.api_key alone,
  // as key id "default". A 401 takes a key out of rotation and the unanswered requests go
  // again with the next key; with none left the call fails PROVIDER_KEYS_EXHAUSTED.
  KeyRing* keys = nullptr;
  // Hears every embeddings request sent (not owned; may be null).
  AuditSink* audit = nullptr;
};

// The checks of OpenAiEmbedder::Create (its errors): the vector length the configuration
// gives. has_key_ring: the keys come from a KeyRing, not config.api_key.
Result<int> CheckOpenAiEmbedConfig(const OpenAiEmbedderConfig& config, bool has_key_ring);
// The body of one POST /v1/embeddings for these inputs, as this configuration sends it
// (base64 vectors, dimensions when set). Also the body of a Batch API line.
std::string EmbeddingsRequestBody(const OpenAiEmbedderConfig& config,
                                  const std::vector<std::string>& inputs);
// The stored model tag of a configuration: the model, plus "@<dims>" when dimensions are set.
std::string EmbedModelTag(const OpenAiEmbedderConfig& config);

class OpenAiEmbedder final : public Embedder {
 public:
  // kInvalidArgument "OPENAI_CONFIG": missing key, base URL not http(s), unknown model
  // without dimensions, dimensions out of range or for text-embedding-ada-002 (which
  // refuses the parameter).
  static Result<std::unique_ptr<OpenAiEmbedder>> Create(OpenAiEmbedderConfig config,
                                                        OpenAiEmbedderDeps deps = {});
  ~OpenAiEmbedder() override;

  std::string name() const override { return "openai"; }
  // The stored model tag: the model name, plus "@<dims>" when dimensions shorten vectors
  // (vectors of different lengths must never be compared).
  std::string model() const override;
  int dimensions() const override { return dimensions_; }
  Result<EmbedOutput> Embed(const std::vector<std::string>& texts, const CallContext& ctx) override;
  // GET {base}/v1/models/{model}: free, authenticated, and it fails when the configured model
  // is gone. One attempt with probe_timeouts; errors as Embed's (UPSTREAM_AUTH, ...), plus
  // UPSTREAM_BAD_RESPONSE when the answer does not describe the model.
  Status CheckHealth(const CallContext& ctx) override;

  // Counters since construction, for benchmarks and tests.
  struct Stats {
    int64_t requests_sent = 0;  // retries included
    int64_t retries = 0;
  };
  Stats stats() const;

 private:
  OpenAiEmbedder(OpenAiEmbedderConfig config, OpenAiEmbedderDeps deps, int dimensions);

  struct Impl;
  std::unique_ptr<Impl> impl_;
  int dimensions_;
};

}  // namespace ingestd
