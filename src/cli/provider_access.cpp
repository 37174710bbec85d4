#include "cli/provider_access.h"

#include <algorithm>

#include "audit/audit_factory.h"
#include "ledger/price_table.h"
#include "text/tokenizer.h"

namespace ingestd::cli {
namespace {

constexpr int64_t kDayMs = 86'400'000;

KeySource Source(const std::string& prefix, const std::string& list, const std::string& file,
                 const std::string& single) {
  return {prefix + "_API_KEYS", prefix + "_API_KEYS_FILE", prefix + "_API_KEY", list, file, single};
}

}  // namespace

void ProviderAccess::ApplyTo(ServiceOptions* options) const {
  options->openai_keys = keys ? keys->ring("openai") : nullptr;
  options->llamaparse_keys = keys ? keys->ring("llamaparse") : nullptr;
  options->audit = audit.get();
}

Result<ProviderAccess> OpenProviderAccess(const Config& config, Store* store, Clock* clock) {
  ProviderAccess access;
  auto keys = KeyRegistry::Open(
      {{"openai", Source("OPENAI", config.openai_api_keys, config.openai_api_keys_file,
                         config.openai_api_key)},
       {"llamaparse", Source("LLAMAPARSE", config.llamaparse_api_keys,
                             config.llamaparse_api_keys_file, config.llamaparse_api_key)}},
      config.keys_poll_ms, clock);
  if (!keys.ok()) return keys.status();
  access.keys = std::move(*keys);
  access.keys->SetListener([store, clock](const KeyRevocation& r) {
    if (r.job_id.empty()) return;  // events belong to a job (the log line is written anyway)
    Event e;
    e.job_id = r.job_id;
    e.correlation_id = r.correlation_id;
    e.type = "error";
    e.code = "PROVIDER_KEY_REVOKED";
    e.stage = r.service == "openai" ? "embed" : "parse";
    e.payload = {{"provider", r.service},
                 {"key_id", r.key_id},
                 {"reason", r.reason},
                 {"active_keys_left", r.active_left}};
    e.at_ms = clock->NowMillis();
    (void)store->AppendEvent(e);  // best effort: the revocation is logged either way
  });

  auto log = OpenAuditLog(config.database_url);
  if (!log.ok()) return log.status();
  access.audit_log = std::move(*log);
  AuditWriterOptions options;
  options.retention_ms = config.audit_retention_days * kDayMs;
  const PriceTable prices = config.ledger.prices;
  options.price = [prices](AuditRecord& r) {
    if (!r.error_code.empty()) return;  // providers bill answered requests only
    r.cost_nanos = r.service == "embed" ? prices.EmbedCost(r.model, r.tokens)
                                        : prices.ParseCost(r.pages, r.cache_hit);
  };
  access.audit = std::make_unique<AsyncAuditWriter>(access.audit_log.get(), clock, options);
  return access;
}

OpenAiEmbedderConfig OpenAiConfigFrom(const Config& config) {
  OpenAiEmbedderConfig openai;
  openai.api_key = config.openai_api_key;
  openai.base_url = config.openai_base_url;
  openai.model = config.openai_embed_model;
  if (config.openai_embed_dimensions > 0) openai.dimensions = config.openai_embed_dimensions;
  openai.limits.max_inputs = config.openai_request_inputs;
  return openai;
}

TokenCounter ExactEmbedTokens(int64_t max_input_tokens) {
  return [max_input_tokens](const std::vector<std::string>& texts) {
    const Tokenizer& tok = Tokenizer::Cl100kBase();
    int64_t n = 0;
    for (const std::string& t : texts) {
      n += std::min(static_cast<int64_t>(tok.Count(t)), max_input_tokens);
    }
    return n;
  };
}

}  // namespace ingestd::cli
