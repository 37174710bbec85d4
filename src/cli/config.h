// Configuration of `ingestd serve` from environment variables (only main reads the
// environment; every module gets a plain options struct). Validated once, at start-up.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "alerts/alert_options.h"
#include "api/api_context.h"
#include "api/callback_deliverer.h"
#include "api/http_server.h"
#include "core/status.h"
#include "ledger/ledger.h"
#include "pipeline/pipeline_options.h"
#include "search/index/hnsw_space.h"
#include "services/local_embedder.h"
#include "services/router/circuit_breaker.h"
#include "trace/otlp_exporter.h"

namespace ingestd::cli {

using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;
EnvLookup ProcessEnv();

struct Config {
  std::string data_dir = "./data";  // INGESTD_DATA_DIR
  std::string database_url;         // DATABASE_URL; default sqlite in data_dir
  std::string blob_url;             // INGESTD_BLOB_URL; default <data_dir>/blobs (process_setup.h)
  std::string log_level = "info";   // INGESTD_LOG_LEVEL
  api::HttpServerOptions http;
  api::ApiOptions api;               // secrets filled by ResolveSecrets
  int workers = 2;                   // INGESTD_WORKERS
  int64_t lease_ms = 30'000;         // INGESTD_LEASE_MS
  int64_t drain_ms = 30'000;         // INGESTD_DRAIN_MS: shutdown waits for stages this long
  int max_attempts = 5;              // INGESTD_MAX_ATTEMPTS
  int64_t retry_base_ms = 1'000;     // INGESTD_RETRY_BASE_MS
  int64_t retry_max_ms = 60'000;     // INGESTD_RETRY_MAX_MS
  int64_t settings_poll_ms = 2'000;  // INGESTD_SETTINGS_POLL_MS: how often modes are re-read
  // PARSE_MODE / EMBED_MODE, default SERVICE_MODE (local): mock | local | real | hybrid
  std::string parse_mode = "local";
  std::string embed_mode = "local";
  int local_embed_dims = LocalEmbedder::kDefaultDimensions;  // INGESTD_LOCAL_EMBED_DIMS
  size_t chunk_max_tokens = 512;                             // INGESTD_CHUNK_MAX_TOKENS
  size_t chunk_overlap_tokens = 64;                          // INGESTD_CHUNK_OVERLAP_TOKENS
  // The embedding cache: INGESTD_EMBED_CACHE=user|global|off, INGESTD_EMBED_CACHE_MAX_VECTORS.
  EmbedCacheScope embed_cache = EmbedCacheScope::kUser;
  int64_t embed_cache_max_vectors = 1'000'000;
  // The OpenAI Batch API for work that can wait (batch/batcher.h; only with real
  // embeddings): INGESTD_BATCH_BELOW_PRIORITY (unset: only uploads asking
  // "embed_via": "batch"), INGESTD_BATCH_FLUSH_MS, INGESTD_BATCH_POLL_MS,
  // INGESTD_BATCH_LEASE_MS, INGESTD_BATCH_FAILED_LINES=sync|batch.
  std::optional<int> batch_below_priority;
  int64_t batch_flush_ms = 60'000;
  int64_t batch_poll_ms = 10'000;
  int64_t batch_lease_ms = 60'000;        // INGESTD_BATCH_LEASE_MS: the one-batcher lease
  bool batch_failed_lines_again = false;  // batch: failed lines go into a later batch
  bool pdf_sandbox = true;  // INGESTD_PDF_SANDBOX=off: the local parser's helper runs unconfined
  // Test-only, INGESTD_TEST_PDF_SANDBOX_PROBES="open,socket,execve,read:PATH": the local
  // parser's first parses each attempt one of these forbidden operations once sandboxed.
  std::vector<std::string> pdf_sandbox_probes;
  std::string parse_faults;  // INGESTD_MOCK_PARSE_FAULTS
  std::string embed_faults;  // INGESTD_MOCK_EMBED_FAULTS
  // INGESTD_BUDGET_DAILY_USD, INGESTD_BUDGET_{PARSE,EMBED}_{DAILY_USD,HOURLY_USD,
  // HOURLY_REQUESTS}, INGESTD_BUDGET_USER_DAILY_USD; unset = no limit.
  // INGESTD_RESERVATION_TIMEOUT_MS. ledger.prices is the one price table every paid call,
  // audit row and estimate is charged from: the published prices, LLAMAPARSE_TIER as the
  // tier, and INGESTD_PRICE_PARSE_CREDITS_PER_PAGE / INGESTD_PRICE_EMBED_USD_PER_MTOK for the
  // configured tier / OPENAI_EMBED_MODEL (required when the table does not know them).
  LedgerOptions ledger;
  // EMBED_MODE=real (OpenAI). The key is a secret: never logged or echoed.
  std::string openai_api_key;                                 // OPENAI_API_KEY
  std::string openai_base_url = "https://api.openai.com";     // OPENAI_BASE_URL
  std::string openai_embed_model = "text-embedding-3-small";  // OPENAI_EMBED_MODEL
  int openai_embed_dimensions = 0;      // OPENAI_EMBED_DIMENSIONS; 0: the model's own
  size_t openai_request_inputs = 2048;  // OPENAI_EMBED_REQUEST_INPUTS: inputs per request
  // PARSE_MODE=real|hybrid (LlamaParse). The key is a secret: never logged or echoed.
  std::string llamaparse_api_key;                                       // LLAMAPARSE_API_KEY
  std::string llamaparse_base_url = "https://api.cloud.llamaindex.ai";  // LLAMAPARSE_BASE_URL
  std::string llamaparse_tier = "cost_effective";                       // LLAMAPARSE_TIER
  int64_t llamaparse_job_timeout_ms = 1'800'000;  // LLAMAPARSE_JOB_TIMEOUT_MS (per attempt)
  // Service health: INGESTD_BREAKER_FAILURES (consecutive failures that open a breaker),
  // INGESTD_BREAKER_OPEN_MS (how long it stays open), INGESTD_PROBE_INTERVAL_MS (free health
  // probes of the real services; 0 = off).
  BreakerOptions breaker;
  int64_t probe_interval_ms = 30'000;
  // INGESTD_ALERT_WEBHOOK_URL, INGESTD_ALERT_FALLBACK_RATE, INGESTD_ALERT_DEADLETTER_RATE,
  // INGESTD_ALERT_WINDOW_MS, INGESTD_ALERT_MIN_EVENTS, INGESTD_ALERT_COOLDOWN_MS,
  // INGESTD_ALERT_WEBHOOK_MAX_ATTEMPTS, INGESTD_ALERT_WEBHOOK_MAX_AGE_MS,
  // INGESTD_ALERT_RETRY_BASE_MS, INGESTD_ALERT_QUEUE; rates unset = no rate alerts.
  AlertOptions alerts;
  // Several keys per provider ("id:key,…", or a file of id:key lines; the single keys
  // above join them as id "default"). Secrets: only key ids are ever logged or shown.
  std::string openai_api_keys;           // OPENAI_API_KEYS
  std::string openai_api_keys_file;      // OPENAI_API_KEYS_FILE
  std::string llamaparse_api_keys;       // LLAMAPARSE_API_KEYS
  std::string llamaparse_api_keys_file;  // LLAMAPARSE_API_KEYS_FILE
  int64_t keys_poll_ms = 1'000;          // INGESTD_KEYS_POLL_MS: key-file checks; 0: off
  int64_t audit_retention_days = 30;     // INGESTD_AUDIT_RETENTION_DAYS; 0: keep forever
  // Completion callbacks (api/callback_deliverer.h). INGESTD_CALLBACK_SECRET, in Standard
  // Webhooks' format "whsec_" + base64 of 24-64 random bytes, is a secret: the decoded
  // bytes are the HMAC key (what receivers' Standard Webhooks libraries derive from the
  // same string); unset = callbacks off (api.callbacks_enabled false).
  // INGESTD_CALLBACK_MAX_AGE_MS, INGESTD_CALLBACK_ALLOW_PRIVATE=1 (also api.callback_urls).
  api::CallbackOptions callbacks;
  // Search (src/search): a (user, model) space is scanned exactly until it holds
  // INGESTD_HNSW_MIN_VECTORS vectors, then searched through an HNSW graph; the index catches
  // up with other processes' vector commits at least every INGESTD_SEARCH_CATCHUP_MS;
  // INGESTD_SEARCHES_PER_MINUTE per user (0 = no limit), in buckets every process on the
  // database shares (limits::kSearchBuckets).
  // INGESTD_HNSW_M, INGESTD_HNSW_EF_CONSTRUCTION, INGESTD_HNSW_EF_SEARCH: the graphs' links
  // per point, build and search candidate lists (search/index/hnsw_space.h).
  size_t hnsw_min_vectors = 20'000;
  search::HnswOptions hnsw;
  int64_t search_catchup_ms = 500;
  int64_t searches_per_minute = 0;
  // Span export (src/trace): INGESTD_OTLP_ENDPOINT, an OTLP/HTTP collector's base URL (spans
  // go to {endpoint}/v1/traces; unset = no export), INGESTD_OTLP_SERVICE_NAME (resource
  // service.name, default ingestd), INGESTD_OTLP_FLUSH_MS, INGESTD_OTLP_MAX_QUEUE,
  // INGESTD_OTLP_BATCH (otlp_exporter.h).
  otlp::OtlpOptions otlp;
};

// Reads every INGESTD_* variable (see README), with defaults for the unset ones.
// Malformed values are kInvalidArgument naming the variable.
Result<Config> LoadConfig(const EnvLookup& env);

// Real and hybrid modes need a key source for their provider: kInvalidArgument "BAD_CONFIG"
// naming the variables otherwise. Not part of LoadConfig: `serve` starts without keys (and
// refuses uploads with 503 SERVICE_NOT_CONFIGURED); `worker` checks it and refuses to start.
Status CheckServiceKeys(const Config& config);

// INGESTD_JWT_SECRET / INGESTD_UPLOAD_SECRET when set; otherwise a random secret created
// once under <data_dir>/secrets/ (mode 0600) and reused, so tokens survive restarts.
Status ResolveSecrets(const EnvLookup& env, Config* config);

}  // namespace ingestd::cli
