// UploadPreflight: what an upload must pass before anything is stored (issue 5 "Upload
// pre-flight"), and the routing and cost facts the new job records.
//
// Checks, in order (each refusal its own code; the service modes are read from the router
// at the time of the upload, so a mode switched at run time counts):
//   1. 503 SERVICE_NOT_CONFIGURED: a real or hybrid service has no API key (serve runs, but
//      accepts no work it could never do);
//   2. 413 FILE_TOO_LARGE_FOR_SERVICE: parse mode real and the file exceeds what the real
//      parser accepts (LlamaParse: 512 MB);
//   3. 503 SERVICE_CIRCUIT_OPEN (Retry-After: until the half-open probe): a real-mode
//      service's breaker is open (real mode has no fallback);
//   4. 429 BUDGET_PREFLIGHT_EXCEEDED (Retry-After) / BUDGET_PREFLIGHT_TOO_LARGE: the job's
//      estimate does not fit a budget window of a real-mode service (ledger/budget_preflight.h).
//      Hybrid services are not refused: over budget they fall back.
//
// Thread-safe (reads only; the router and ledger are thread-safe). Borrowed pointers must
// outlive it.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "core/clock.h"
#include "core/model.h"
#include "core/status.h"
#include "ledger/budget_preflight.h"
#include "ledger/ledger.h"
#include "services/router/circuit_breaker.h"

namespace ingestd {
class ServiceRouter;
}  // namespace ingestd

namespace ingestd::api {

// LlamaParse's upload limit (DESIGN.md §7).
inline constexpr int64_t kLlamaParseMaxBytes = 512LL * 1024 * 1024;

struct PreflightOptions {
  LedgerOptions budgets;    // limits; prices with the configured tier
  std::string embed_model;  // the real embedder's model (priced)
  // Hybrid fallback implementation per service ("parse" → "local", "embed" → "mock").
  std::map<std::string, std::string> fallbacks;
  BreakerOptions breaker;  // recorded in the router snapshot
  int64_t real_parse_max_bytes = kLlamaParseMaxBytes;
  // Not OK: every upload is refused with it (e.g. 503 SERVICE_NOT_CONFIGURED).
  Status not_configured;
};

// What the upload knows about the file.
struct UploadFacts {
  std::string user_id;
  int64_t size_bytes = 0;
  int64_t pages = -1;  // counted from the PDF; -1 when unknown
};

class UploadPreflight {
 public:
  // router and ledger may be null (no pipeline in this process / budgets not enforced).
  UploadPreflight(PreflightOptions options, ServiceRouter* router, Ledger* ledger,
                  const Clock* clock);

  // True when a service runs real or hybrid now: the estimate then wants a page count.
  bool PaidServices() const;
  // Runs the checks; on success fills job's service_mode (the modes in force now),
  // router_config, cost_estimate, service_health and cost_tracking_enabled. Store failures reading
  // the budget windows are returned.
  Status Check(const UploadFacts& facts, Job* job) const;

 private:
  const PreflightOptions options_;
  ServiceRouter* const router_;
  Ledger* const ledger_;
  const Clock* const clock_;
};

}  // namespace ingestd::api
