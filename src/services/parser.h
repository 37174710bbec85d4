// Parser: turns a stored PDF into markdown. Implementations: mock (deterministic, offline),
// later local (MuPDF helper) and real (LlamaParse).
#pragma once

#include <cstdint>
#include <string>

#include "core/status.h"

namespace ingestd {

class EmbedSink;  // services/embedder.h

// What a provider billed for one call, as a paid implementation learns it: every answer it
// was billed for (retries included; an answer lost after the request reached the provider
// counts, at the implementation's own count), also when the call fails in the end. Added to
// on the calling thread; implementations without a provider leave it untouched.
struct UsageMeter {
  int64_t units = 0;      // tokens or pages
  bool reported = false;  // an implementation metered the call
  void Add(int64_t n) {
    units += n;
    reported = true;
  }
};

// Identifies the call for logs, outbound headers and cost records.
struct CallContext {
  std::string correlation_id;
  std::string job_id;
  std::string user_id;
  // The job's processing_priority: the router reserves with it, so a low-priority job stops
  // at the budget's priority reserve (LedgerOptions::priority_reserve_pct).
  int processing_priority = 0;
  // Optional (not owned): where a paid implementation reports billed usage, so the caller
  // settles what was billed even when the call fails (ServiceRoute).
  UsageMeter* billed = nullptr;
  // Optional (not owned), for parses that park (IsParsePending): the ledger reservation a
  // parked parse keeps open while its provider works. The router writes its id here when
  // the call parks (and clears it when the call ends); the caller keeps it with the parked
  // job and hands it back on the resume, which settles it from the result.
  std::string* parked_reservation = nullptr;
  // Optional (not owned), for Embed calls: hears each provider request's vectors as it is
  // accepted, before the call returns (EmbedSink).
  EmbedSink* embedded = nullptr;
};

// A parse submitted to a provider that works asynchronously, not finished yet: nothing
// failed. The caller parks the job, holding no thread, and calls Parse again after
// retry_after_ms() (or sooner: a webhook); the provider's job is resumed, never resubmitted.
inline constexpr char kParsePendingCode[] = "PARSE_PENDING";
inline bool IsParsePending(const Status& s) { return !s.ok() && s.code() == kParsePendingCode; }

struct ParseInput {
  std::string pdf_path;  // a readable local file (BlobStore::LocalPath)
  int64_t size_bytes = 0;
  std::string document_id;
  std::string filename{};  // as uploaded (the mock's abort fault matches it)
};

struct ParseOutput {
  std::string markdown;
  int page_count = 0;
  std::string implementation;  // e.g. "mock"
  // The provider served it from its cache and billed nothing (LlamaParse job_is_cache_hit).
  bool cache_hit = false;
  // The provider parsed only some pages (LlamaParse PARTIAL_SUCCESS): markdown is what it
  // parsed and page_count the pages it parsed and billed.
  bool partial = false;
  // Priced by the router from the one price table (ledger/price_table.h); implementations
  // report usage only and leave it 0.
  double cost_usd = 0;
};

class Parser {
 public:
  virtual ~Parser() = default;
  virtual std::string name() const = 0;
  // Transient failures come back with status.retryable() set; permanent ones (a corrupt
  // PDF) without. Thread-safe: workers call it concurrently.
  virtual Result<ParseOutput> Parse(const ParseInput& in, const CallContext& ctx) = 0;
  // An active health probe that costs nothing (no paid call, no ledger reservation): OK when
  // the service answers and accepts our credentials; otherwise the error a real call would
  // get (same codes as Parse). One attempt, no retries: the prober calls it again later.
  // The default, for implementations with nothing remote to check, is healthy without a
  // call. Thread-safe.
  virtual Status CheckHealth(const CallContext& ctx) {
    (void)ctx;
    return Status();
  }
};

}  // namespace ingestd
