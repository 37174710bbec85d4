// Fault injection for the mock services, so tests and operators can rehearse upstream
// failures offline: fail the first N calls, every Nth call, always, or add latency.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"

namespace ingestd {

struct FaultOptions {
  // The first N calls fail (counting from 1 for this injector).
  int fail_first_n = 0;
  // Every Nth call fails as well (N, 2N, …); 0 disables.
  int fail_every_nth = 0;
  // Injected failures are permanent (kUnprocessable, "UPSTREAM_PERMANENT", not retryable)
  // instead of transient (kUpstream, "UPSTREAM_TRANSIENT", retryable). With neither count
  // set, every call fails.
  bool permanent = false;
  // Added before every call (success or failure), like a slow upstream.
  int latency_ms = 0;
  // The process aborts when it works on the document with this filename, like a worker
  // killed by its input (crash, OOM): rehearses lost leases. Mock parser only.
  std::string abort_filename{};

  bool any() const {
    return fail_first_n > 0 || fail_every_nth > 0 || permanent || latency_ms > 0 ||
           !abort_filename.empty();
  }
};

// Parses a comma-separated spec, e.g. "transient:3", "every:5,latency:20", "permanent",
// "permanent:2", "abort:poison.pdf". Items: transient:N | permanent[:N] | every:N |
// latency:MS | abort:FILENAME. An empty spec means no faults. Fails with kInvalidArgument /
// "FAULT_SPEC_INVALID".
Result<FaultOptions> ParseFaultSpec(std::string_view spec);

// Decides, call by call, whether to inject a fault. Thread-safe (one atomic counter).
class FaultInjector {
 public:
  // service names the mock in error messages ("parse", "embed").
  FaultInjector(FaultOptions options, std::string service);

  // Sleeps latency_ms, counts the call and returns the injected fault or OK; aborts the
  // process when filename is abort_filename.
  Status BeforeCall(std::string_view filename = {});
  int64_t calls() const { return calls_.load(); }

 private:
  const FaultOptions options_;
  const std::string service_;
  std::atomic<int64_t> calls_{0};
};

}  // namespace ingestd
