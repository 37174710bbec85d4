#include "cli/config.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "api/validation.h"
#include "core/crypto.h"
#include "limits/token_bucket.h"
#include "services/router/service_mode.h"

namespace ingestd::cli {
namespace {

template <typename T>
Status ReadInt(const EnvLookup& env, const std::string& name, T lo, T hi, T* out) {
  auto v = env(name);
  if (!v || v->empty()) return Status();
  T parsed{};
  auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), parsed);
  if (ec != std::errc() || p != v->data() + v->size() || parsed < lo || parsed > hi) {
    return Status::InvalidArgument(
        "BAD_CONFIG",
        name + " must be an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
  }
  *out = parsed;
  return Status();
}

// A decimal number in [lo, hi] (lo itself excluded unless lo_inclusive); unset or empty
// leaves *out unset. `what` names the range in the error ("a dollar amount >= 0").
Status ReadDouble(const EnvLookup& env, const std::string& name, double lo, bool lo_inclusive,
                  double hi, const char* what, std::optional<double>* out) {
  auto v = env(name);
  if (!v || v->empty()) return Status();
  double parsed = 0;
  auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), parsed);
  const bool above_lo = lo_inclusive ? parsed >= lo : parsed > lo;
  if (ec != std::errc() || p != v->data() + v->size() || !above_lo || !(parsed <= hi)) {
    return Status::InvalidArgument("BAD_CONFIG", name + " must be " + what);
  }
  *out = parsed;
  return Status();
}

// A non-negative dollar amount such as "12.50".
Status ReadUsd(const EnvLookup& env, const std::string& name, std::optional<double>* out) {
  return ReadDouble(env, name, 0, true, 1e9, "a dollar amount >= 0", out);
}

Status ReadServiceLimits(const EnvLookup& env, const std::string& service, ServiceLimits* out) {
  const std::string prefix = "INGESTD_BUDGET_" + service + "_";
  Status s = ReadUsd(env, prefix + "DAILY_USD", &out->daily_usd);
  if (s.ok()) s = ReadUsd(env, prefix + "HOURLY_USD", &out->hourly_usd);
  int64_t requests = -1;
  if (s.ok()) s = ReadInt<int64_t>(env, prefix + "HOURLY_REQUESTS", 0, int64_t{1} << 40, &requests);
  if (s.ok() && requests >= 0) out->hourly_requests = requests;
  return s;
}

// No INGESTD_BATCH_BELOW_PRIORITY: outside the range ReadInt accepts.
constexpr int kUnsetPriority = 1'000'000;

Status ReadEmbedCache(const EnvLookup& env, Config* c) {
  const std::optional<std::string> scope = env("INGESTD_EMBED_CACHE");
  if (scope && !scope->empty()) {
    if (*scope == "user") {
      c->embed_cache = EmbedCacheScope::kUser;
    } else if (*scope == "global") {
      c->embed_cache = EmbedCacheScope::kGlobal;
    } else if (*scope == "off") {
      c->embed_cache = EmbedCacheScope::kOff;
    } else {
      return Status::InvalidArgument("BAD_CONFIG",
                                     "INGESTD_EMBED_CACHE must be 'user', 'global' or 'off'");
    }
  }
  return ReadInt<int64_t>(env, "INGESTD_EMBED_CACHE_MAX_VECTORS", 0, int64_t{1} << 40,
                          &c->embed_cache_max_vectors);
}

Status ReadBatchOptions(const EnvLookup& env, Config* c) {
  int below = kUnsetPriority;
  Status s = ReadInt<int>(env, "INGESTD_BATCH_BELOW_PRIORITY", -1000, 1000, &below);
  if (s.ok() && below != kUnsetPriority) c->batch_below_priority = below;
  if (s.ok())
    s = ReadInt<int64_t>(env, "INGESTD_BATCH_FLUSH_MS", 0, 86'400'000, &c->batch_flush_ms);
  if (s.ok()) s = ReadInt<int64_t>(env, "INGESTD_BATCH_POLL_MS", 10, 3'600'000, &c->batch_poll_ms);
  if (s.ok()) {
    s = ReadInt<int64_t>(env, "INGESTD_BATCH_LEASE_MS", 100, 3'600'000, &c->batch_lease_ms);
  }
  if (s.ok() && c->batch_lease_ms <= c->batch_poll_ms) {
    return Status::InvalidArgument("BAD_CONFIG",
                                   "INGESTD_BATCH_LEASE_MS must exceed INGESTD_BATCH_POLL_MS");
  }
  const std::optional<std::string> lines = env("INGESTD_BATCH_FAILED_LINES");
  if (s.ok() && lines && !lines->empty()) {
    if (*lines != "sync" && *lines != "batch") {
      return Status::InvalidArgument("BAD_CONFIG",
                                     "INGESTD_BATCH_FAILED_LINES must be 'sync' or 'batch'");
    }
    c->batch_failed_lines_again = *lines == "batch";
  }
  return s;
}

Status ReadLedgerOptions(const EnvLookup& env, LedgerOptions* out) {
  Status s = ReadUsd(env, "INGESTD_BUDGET_DAILY_USD", &out->daily_usd);
  if (s.ok()) s = ReadServiceLimits(env, "PARSE", &out->parse);
  if (s.ok()) s = ReadServiceLimits(env, "EMBED", &out->embed);
  if (s.ok()) s = ReadUsd(env, "INGESTD_BUDGET_USER_DAILY_USD", &out->user_daily_usd);
  if (s.ok()) {
    s = ReadInt<int64_t>(env, "INGESTD_RESERVATION_TIMEOUT_MS", 1'000, 86'400'000,
                         &out->reservation_timeout_ms);
  }
  if (s.ok())
    s = ReadInt(env, "INGESTD_BUDGET_PRIORITY_RESERVE_PCT", 0, 100, &out->priority_reserve_pct);
  if (s.ok()) {
    s = ReadInt(env, "INGESTD_BUDGET_PRIORITY_MIN", api::kMinPriority, api::kMaxPriority,
                &out->priority_min);
  }
  return s;
}

// The price table for the configured LlamaParse tier and OpenAI model: a tier or model the
// published table does not know needs the operator's price, so that no paid call is ever
// reserved or settled at $0.
Status ReadPrices(const EnvLookup& env, const std::string& tier, const std::string& model,
                  PriceTable* out) {
  std::optional<double> credits, usd_per_mtok;
  Status s = ReadDouble(env, "INGESTD_PRICE_PARSE_CREDITS_PER_PAGE", 0, false, 1e6, "a number > 0",
                        &credits);
  if (s.ok()) {
    s = ReadDouble(env, "INGESTD_PRICE_EMBED_USD_PER_MTOK", 0, false, 1e6, "a number > 0",
                   &usd_per_mtok);
  }
  if (!s.ok()) return s;
  out->parse_tier = tier;
  if (credits) out->parse_credits_per_page[tier] = *credits;
  if (usd_per_mtok) {
    const int64_t nanos = std::llround(*usd_per_mtok * 1e9);
    if (nanos < 1) {
      return Status::InvalidArgument("BAD_CONFIG", "INGESTD_PRICE_EMBED_USD_PER_MTOK rounds to $0");
    }
    out->embed_nanos_per_mtok[model] = nanos;
  }
  if (!out->HasParsePrice(tier)) {
    return Status::InvalidArgument(
        "BAD_CONFIG", "LLAMAPARSE_TIER '" + tier +
                          "' has no known price: set INGESTD_PRICE_PARSE_CREDITS_PER_PAGE");
  }
  if (!out->HasEmbedPrice(model)) {
    return Status::InvalidArgument(
        "BAD_CONFIG", "OPENAI_EMBED_MODEL '" + model +
                          "' has no known price: set INGESTD_PRICE_EMBED_USD_PER_MTOK");
  }
  return Status();
}

void ReadString(const EnvLookup& env, const std::string& name, std::string* out) {
  if (auto v = env(name); v && !v->empty()) *out = *v;
}

Status ReadOtlpOptions(const EnvLookup& env, otlp::OtlpOptions* o) {
  ReadString(env, "INGESTD_OTLP_ENDPOINT", &o->endpoint);
  ReadString(env, "INGESTD_OTLP_SERVICE_NAME", &o->service_name);
  if (!o->endpoint.empty() && !o->endpoint.starts_with("http://") &&
      !o->endpoint.starts_with("https://")) {
    return Status::InvalidArgument("BAD_CONFIG",
                                   "INGESTD_OTLP_ENDPOINT must start with http:// or https://");
  }
  Status s = ReadInt<int64_t>(env, "INGESTD_OTLP_FLUSH_MS", 10, 3'600'000, &o->flush_interval_ms);
  if (s.ok()) s = ReadInt<size_t>(env, "INGESTD_OTLP_MAX_QUEUE", 1, 1'000'000, &o->max_queue);
  if (s.ok()) s = ReadInt<size_t>(env, "INGESTD_OTLP_BATCH", 1, 10'000, &o->max_batch);
  return s;
}

// A rate threshold in (0, 1]: set turns its monitor on with the shared window settings.
Status ReadRate(const EnvLookup& env, const std::string& name, const RateMonitorOptions& window,
                std::optional<RateMonitorOptions>* out) {
  std::optional<double> rate;
  if (Status s = ReadDouble(env, name, 0, false, 1, "a rate in (0, 1]", &rate); !s.ok() || !rate) {
    return s;
  }
  *out = window;
  (*out)->threshold = *rate;
  return Status();
}

Status ReadAlertOptions(const EnvLookup& env, AlertOptions* out) {
  ReadString(env, "INGESTD_ALERT_WEBHOOK_URL", &out->webhook_url);
  RateMonitorOptions window;
  DispatcherOptions& d = out->delivery;
  Status s = ReadInt<int64_t>(env, "INGESTD_ALERT_WINDOW_MS", 1'000, 86'400'000, &window.window_ms);
  if (s.ok()) s = ReadInt(env, "INGESTD_ALERT_MIN_EVENTS", 1, 100'000, &window.min_events);
  if (s.ok()) {
    s = ReadInt<int64_t>(env, "INGESTD_ALERT_COOLDOWN_MS", 0, 86'400'000, &window.cooldown_ms);
  }
  if (s.ok()) s = ReadRate(env, "INGESTD_ALERT_FALLBACK_RATE", window, &out->rates.fallback_rate);
  if (s.ok()) {
    s = ReadRate(env, "INGESTD_ALERT_DEADLETTER_RATE", window, &out->rates.dead_letter_rate);
  }
  if (s.ok()) s = ReadInt(env, "INGESTD_ALERT_WEBHOOK_MAX_ATTEMPTS", 1, 100, &d.max_attempts);
  if (s.ok()) {
    s = ReadInt<int64_t>(env, "INGESTD_ALERT_WEBHOOK_MAX_AGE_MS", 1'000, 7 * 86'400'000LL,
                         &d.max_age_ms);
  }
  if (s.ok()) {
    s = ReadInt<int64_t>(env, "INGESTD_ALERT_RETRY_BASE_MS", 1, 3'600'000,
                         &d.backoff.base_delay_ms);
  }
  if (s.ok()) s = ReadInt<size_t>(env, "INGESTD_ALERT_QUEUE", 1, 1'000'000, &d.queue_capacity);
  return s;
}

// Standard Webhooks' symmetric secret: "whsec_" + base64 of at least 24 bytes (192 bits).
Status ReadCallbackOptions(const EnvLookup& env, Config* c) {
  std::string secret;
  ReadString(env, "INGESTD_CALLBACK_SECRET", &secret);
  if (!secret.empty()) {
    std::optional<std::string> key;
    if (secret.starts_with("whsec_")) key = Base64Decode(secret.substr(6));
    if (!key || key->size() < 24 || key->size() > 64) {
      return Status::InvalidArgument("BAD_CONFIG",
                                     "INGESTD_CALLBACK_SECRET must be whsec_ followed by the "
                                     "base64 of 24 to 64 random bytes");
    }
    c->callbacks.signing_key = std::move(*key);
    c->api.callbacks_enabled = true;
  }
  std::string allow;
  ReadString(env, "INGESTD_CALLBACK_ALLOW_PRIVATE", &allow);
  if (!allow.empty() && allow != "0" && allow != "1") {
    return Status::InvalidArgument("BAD_CONFIG", "INGESTD_CALLBACK_ALLOW_PRIVATE must be 0 or 1");
  }
  c->callbacks.urls.allow_private = allow == "1";
  c->api.callback_urls = c->callbacks.urls;
  return ReadInt<int64_t>(env, "INGESTD_CALLBACK_MAX_AGE_MS", 1'000, 30 * 86'400'000LL,
                          &c->callbacks.max_age_ms);
}

Result<std::string> SecretFromFile(const std::filesystem::path& path) {
  std::error_code ec;
  std::filesystem::create_directories(path.parent_path(), ec);
  if (ec) return Status::Internal("SECRET_DIR", "cannot create " + path.parent_path().string());
  // O_EXCL: of two processes starting at once, one creates and both then read its value.
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
  if (fd >= 0) {
    std::string secret = HexEncode(RandomBytes(32));
    bool ok = ::write(fd, secret.data(), secret.size()) == static_cast<ssize_t>(secret.size()) &&
              ::fsync(fd) == 0;
    ::close(fd);
    if (!ok) return Status::Internal("SECRET_WRITE", "cannot write " + path.string());
    return secret;
  }
  for (int attempt = 0; attempt < 50; ++attempt) {
    std::ifstream in(path);
    std::string secret;
    std::getline(in, secret);
    if (secret.size() >= 32) return secret;
    usleep(20'000);  // the creating process has not finished writing yet
  }
  return Status::Internal("SECRET_READ", "cannot read " + path.string());
}

}  // namespace

EnvLookup ProcessEnv() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    if (v == nullptr) return std::nullopt;
    return std::string(v);
  };
}

Status CheckServiceKeys(const Config& c) {
  const bool llamaparse_keys = !c.llamaparse_api_key.empty() || !c.llamaparse_api_keys.empty() ||
                               !c.llamaparse_api_keys_file.empty();
  if ((c.parse_mode == "real" || c.parse_mode == "hybrid") && !llamaparse_keys) {
    const std::string need = "LLAMAPARSE_API_KEY, LLAMAPARSE_API_KEYS or LLAMAPARSE_API_KEYS_FILE";
    return Status::InvalidArgument("BAD_CONFIG", "PARSE_MODE=" + c.parse_mode + " needs " + need);
  }
  const bool openai_keys =
      !c.openai_api_key.empty() || !c.openai_api_keys.empty() || !c.openai_api_keys_file.empty();
  if ((c.embed_mode == "real" || c.embed_mode == "hybrid") && !openai_keys) {
    return Status::InvalidArgument("BAD_CONFIG", "EMBED_MODE=" + c.embed_mode +
                                                     " needs OPENAI_API_KEY, OPENAI_API_KEYS "
                                                     "or OPENAI_API_KEYS_FILE");
  }
  return Status();
}

Result<Config> LoadConfig(const EnvLookup& env) {
  Config c;
  ReadString(env, "INGESTD_DATA_DIR", &c.data_dir);
  c.database_url = "sqlite://" + (std::filesystem::absolute(c.data_dir) / "ingestd.db").string();
  ReadString(env, "DATABASE_URL", &c.database_url);
  ReadString(env, "INGESTD_BLOB_URL", &c.blob_url);
  ReadString(env, "INGESTD_LOG_LEVEL", &c.log_level);
  ReadString(env, "INGESTD_HOST", &c.http.host);
  ReadString(env, "INGESTD_MOCK_PARSE_FAULTS", &c.parse_faults);
  ReadString(env, "INGESTD_MOCK_EMBED_FAULTS", &c.embed_faults);
  ReadString(env, "OPENAI_API_KEY", &c.openai_api_key);
  ReadString(env, "OPENAI_BASE_URL", &c.openai_base_url);
  ReadString(env, "OPENAI_EMBED_MODEL", &c.openai_embed_model);
  ReadString(env, "LLAMAPARSE_API_KEY", &c.llamaparse_api_key);
  ReadString(env, "LLAMAPARSE_BASE_URL", &c.llamaparse_base_url);
  ReadString(env, "LLAMAPARSE_TIER", &c.llamaparse_tier);
  ReadString(env, "OPENAI_API_KEYS", &c.openai_api_keys);
  ReadString(env, "OPENAI_API_KEYS_FILE", &c.openai_api_keys_file);
  ReadString(env, "LLAMAPARSE_API_KEYS", &c.llamaparse_api_keys);
  ReadString(env, "LLAMAPARSE_API_KEYS_FILE", &c.llamaparse_api_keys_file);
  ReadString(env, "SERVICE_MODE", &c.api.service_mode);
  ReadString(env, "INGESTD_PUBLIC_URL", &c.api.public_url);
  ReadString(env, "INGESTD_METRICS_TOKEN", &c.api.metrics_token);  // a secret: never logged

  int64_t read_timeout = c.http.read_timeout.count(), idle = c.http.idle_timeout.count();
  Status s = ReadInt<uint16_t>(env, "INGESTD_PORT", 0, 65535, &c.http.port);
  if (s.ok()) s = ReadInt(env, "INGESTD_IO_THREADS", 1, 64, &c.http.io_threads);
  if (s.ok()) s = ReadInt(env, "INGESTD_HANDLER_THREADS", 1, 256, &c.http.handler_threads);
  if (s.ok()) s = ReadInt<int64_t>(env, "INGESTD_READ_TIMEOUT_MS", 100, 3'600'000, &read_timeout);
  if (s.ok()) s = ReadInt<int64_t>(env, "INGESTD_IDLE_TIMEOUT_MS", 100, 3'600'000, &idle);
  if (s.ok()) s = ReadInt(env, "INGESTD_MAX_CONNECTIONS", 1, 1'000'000, &c.http.max_connections);
  if (s.ok()) {
    s = ReadInt<int64_t>(env, "INGESTD_MAX_UPLOAD_BYTES", 1, int64_t{1} << 40,
                         &c.api.max_upload_bytes);
  }
  if (s.ok())
    s = ReadInt<int64_t>(env, "INGESTD_UPLOAD_URL_TTL_S", 1, 604'800, &c.api.upload_url_ttl_s);
  // Per-user upload limits; unset or 0 = no limit.
  limits::UploadLimits& ul = c.api.upload_limits;
  if (s.ok()) {
    s = ReadInt<int64_t>(env, "INGESTD_UPLOADS_PER_MINUTE", 0, limits::kMaxPerMinute,
                         &ul.per_minute);
  }
  if (s.ok()) {
    s = ReadInt<int64_t>(env, "INGESTD_UPLOADS_PER_DAY", 0, limits::kMaxPerDay, &ul.per_day);
  }
  if (s.ok()) {
    s = ReadInt(env, "INGESTD_MAX_ACTIVE_JOBS_PER_USER", 0, 1'000'000, &ul.max_active_jobs);
  }
  if (s.ok()) {
    s = ReadInt<int64_t>(env, "INGESTD_SEARCHES_PER_MINUTE", 0, limits::kMaxPerMinute,
                         &c.searches_per_minute);
  }
  if (s.ok()) {
    s = ReadInt<size_t>(env, "INGESTD_HNSW_MIN_VECTORS", 1, size_t{1} << 32, &c.hnsw_min_vectors);
  }
  if (s.ok()) {
    s = ReadInt<int64_t>(env, "INGESTD_SEARCH_CATCHUP_MS", 10, 3'600'000, &c.search_catchup_ms);
  }
  if (s.ok()) s = ReadInt(env, "INGESTD_HNSW_M", 2, 1024, &c.hnsw.m);
  if (s.ok()) s = ReadInt(env, "INGESTD_HNSW_EF_CONSTRUCTION", 1, 100'000, &c.hnsw.ef_construction);
  if (s.ok()) s = ReadInt(env, "INGESTD_HNSW_EF_SEARCH", 1, 100'000, &c.hnsw.ef_search);
  if (s.ok()) s = ReadInt(env, "INGESTD_WORKERS", 0, 256, &c.workers);
  if (s.ok()) s = ReadInt<int64_t>(env, "INGESTD_LEASE_MS", 100, 86'400'000, &c.lease_ms);
  if (s.ok()) s = ReadInt<int64_t>(env, "INGESTD_DRAIN_MS", 0, 3'600'000, &c.drain_ms);
  if (s.ok()) s = ReadInt(env, "INGESTD_MAX_ATTEMPTS", 1, 1000, &c.max_attempts);
  if (s.ok()) s = ReadInt<int64_t>(env, "INGESTD_RETRY_BASE_MS", 1, 86'400'000, &c.retry_base_ms);
  if (s.ok()) s = ReadInt<int64_t>(env, "INGESTD_RETRY_MAX_MS", 1, 86'400'000, &c.retry_max_ms);
  if (s.ok()) {
    s = ReadInt<int64_t>(env, "INGESTD_SETTINGS_POLL_MS", 10, 3'600'000, &c.settings_poll_ms);
  }
  // The embedding API takes at most 8192 tokens per input.
  if (s.ok()) s = ReadInt<size_t>(env, "INGESTD_CHUNK_MAX_TOKENS", 8, 8192, &c.chunk_max_tokens);
  if (s.ok()) {
    s = ReadInt<size_t>(env, "INGESTD_CHUNK_OVERLAP_TOKENS", 0, 4096, &c.chunk_overlap_tokens);
  }
  if (s.ok()) s = ReadEmbedCache(env, &c);
  if (s.ok()) s = ReadBatchOptions(env, &c);
  if (s.ok()) s = ReadLedgerOptions(env, &c.ledger);
  if (s.ok()) s = ReadPrices(env, c.llamaparse_tier, c.openai_embed_model, &c.ledger.prices);
  if (s.ok()) s = ReadInt(env, "OPENAI_EMBED_DIMENSIONS", 1, 65'536, &c.openai_embed_dimensions);
  if (s.ok()) s = ReadInt(env, "INGESTD_LOCAL_EMBED_DIMS", 8, 16'384, &c.local_embed_dims);
  // OpenAI takes at most 2048 inputs per embeddings request.
  if (s.ok()) {
    s = ReadInt<size_t>(env, "OPENAI_EMBED_REQUEST_INPUTS", 1, 2048, &c.openai_request_inputs);
  }
  if (s.ok() && c.openai_embed_dimensions > 0 && c.openai_embed_model == "text-embedding-ada-002") {
    // OpenAI answers every request 400 when ada-002 is sent `dimensions`: refuse it now.
    s = Status::InvalidArgument("BAD_CONFIG",
                                "OPENAI_EMBED_DIMENSIONS is not supported by "
                                "text-embedding-ada-002 (only text-embedding-3 models take it)");
  }
  if (s.ok()) s = ReadAlertOptions(env, &c.alerts);
  if (s.ok()) s = ReadCallbackOptions(env, &c);
  if (s.ok()) s = ReadOtlpOptions(env, &c.otlp);
  if (s.ok()) {
    s = ReadInt<int64_t>(env, "LLAMAPARSE_JOB_TIMEOUT_MS", 1'000, 86'400'000,
                         &c.llamaparse_job_timeout_ms);
  }
  if (s.ok()) {
    s = ReadInt(env, "INGESTD_BREAKER_FAILURES", 1, 1'000, &c.breaker.failure_threshold);
  }
  if (s.ok()) {
    s = ReadInt<int64_t>(env, "INGESTD_BREAKER_OPEN_MS", 10, 86'400'000, &c.breaker.open_ms);
  }
  if (s.ok()) {
    s = ReadInt<int64_t>(env, "INGESTD_PROBE_INTERVAL_MS", 0, 86'400'000, &c.probe_interval_ms);
  }
  if (s.ok()) s = ReadInt<int64_t>(env, "INGESTD_KEYS_POLL_MS", 0, 3'600'000, &c.keys_poll_ms);
  if (s.ok()) {
    s = ReadInt<int64_t>(env, "INGESTD_AUDIT_RETENTION_DAYS", 0, 36'500, &c.audit_retention_days);
  }
  if (!s.ok()) return s;
  auto known_mode = [](const std::string& m) { return ParseServiceMode(m).ok(); };
  if (!known_mode(c.api.service_mode)) {
    return Status::InvalidArgument("BAD_CONFIG",
                                   "SERVICE_MODE must be 'mock', 'local', 'real' or 'hybrid'");
  }
  c.parse_mode = c.embed_mode = c.api.service_mode;
  ReadString(env, "PARSE_MODE", &c.parse_mode);
  ReadString(env, "EMBED_MODE", &c.embed_mode);
  std::string pdf_sandbox = "on";
  ReadString(env, "INGESTD_PDF_SANDBOX", &pdf_sandbox);
  if (pdf_sandbox != "on" && pdf_sandbox != "off") {
    return Status::InvalidArgument("BAD_CONFIG", "INGESTD_PDF_SANDBOX must be 'on' or 'off'");
  }
  c.pdf_sandbox = pdf_sandbox == "on";
  std::string probes;
  ReadString(env, "INGESTD_TEST_PDF_SANDBOX_PROBES", &probes);
  for (size_t at = 0, comma = 0; !probes.empty() && comma != std::string::npos; at = comma + 1) {
    comma = probes.find(',', at);
    std::string probe = probes.substr(at, comma - at);  // to the end when there is no comma
    if (probe != "open" && probe != "socket" && probe != "execve" &&
        !(probe.starts_with("read:") && probe.size() > 5)) {
      return Status::InvalidArgument("BAD_CONFIG",
                                     "INGESTD_TEST_PDF_SANDBOX_PROBES items are open, socket, "
                                     "execve or read:PATH");
    }
    c.pdf_sandbox_probes.push_back(std::move(probe));
  }
  for (const auto& [name, mode] :
       {std::pair{"PARSE_MODE", &c.parse_mode}, std::pair{"EMBED_MODE", &c.embed_mode}}) {
    if (!known_mode(*mode)) {
      return Status::InvalidArgument(
          "BAD_CONFIG", std::string(name) + " must be 'mock', 'local', 'real' or 'hybrid'");
    }
  }
  // What each job records as its service mode.
  if (c.parse_mode != c.embed_mode) {
    c.api.service_mode = "parse=" + c.parse_mode + ",embed=" + c.embed_mode;
  }
  c.http.read_timeout = std::chrono::milliseconds(read_timeout);
  c.http.idle_timeout = std::chrono::milliseconds(idle);
  return c;
}

Status ResolveSecrets(const EnvLookup& env, Config* c) {
  const std::filesystem::path dir = std::filesystem::path(c->data_dir) / "secrets";
  struct {
    const char* var;
    const char* file;
    std::string* out;
  } secrets[] = {{"INGESTD_JWT_SECRET", "jwt_secret", &c->api.jwt_secret},
                 {"INGESTD_UPLOAD_SECRET", "upload_secret", &c->api.upload_secret}};
  for (auto& s : secrets) {
    if (auto v = env(s.var); v && !v->empty()) {
      *s.out = *v;
      continue;
    }
    auto secret = SecretFromFile(dir / s.file);
    if (!secret.ok()) return secret.status();
    *s.out = std::move(secret.value());
  }
  return Status();
}

}  // namespace ingestd::cli
