// The provider keys and the audit log of paid calls, as `ingestd serve` / `ingestd worker`
// wire them: key rings from OPENAI_API_KEYS[_FILE] / LLAMAPARSE_API_KEYS[_FILE] (or the
// single legacy keys, id "default"), reloaded on SIGHUP and when a key file changes; a key
// that gets 401 is logged and recorded on the job (event PROVIDER_KEY_REVOKED). The audit
// log lives in the store's database; paid requests reach it through a batching writer whose
// rows are priced from the ledger's price table and pruned after
// INGESTD_AUDIT_RETENTION_DAYS.
#pragma once

#include <memory>

#include "audit/async_audit_writer.h"
#include "audit/audit_log.h"
#include "cli/config.h"
#include "cli/service_factory.h"
#include "services/keys/key_registry.h"
#include "services/router/routed_services.h"
#include "store/store.h"

namespace ingestd::cli {

struct ProviderAccess {
  std::unique_ptr<KeyRegistry> keys;
  std::unique_ptr<AuditLog> audit_log;
  std::unique_ptr<AsyncAuditWriter> audit;  // destroyed first: drains into audit_log

  // Hands the rings and the audit sink to the real clients made from these options.
  void ApplyTo(ServiceOptions* options) const;
};

// The OpenAI client's endpoint, model and dimensions as configured (keys come from ApplyTo).
OpenAiEmbedderConfig OpenAiConfigFrom(const Config& config);

// The router's estimate of an embeddings call: the exact cl100k tokens OpenAI bills (every
// OpenAI embedding model uses cl100k_base), each text capped at the per-input limit the
// client truncates to. Exact, so a lapsed reservation charged at its estimate charges what
// the provider billed.
TokenCounter ExactEmbedTokens(int64_t max_input_tokens);

// Loads every configured key source (a malformed key source fails start-up) and opens the
// audit log. store (not owned) receives the revocation events and must outlive the result.
Result<ProviderAccess> OpenProviderAccess(const Config& config, Store* store, Clock* clock);

}  // namespace ingestd::cli
