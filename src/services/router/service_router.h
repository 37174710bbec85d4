// ServiceRouter: owns the registered implementations of both services and the routed Parser
// and Embedder built over them. Implementations are registered by name: "mock", "local",
// "real". Hybrid falls back to "local" when registered, else "mock".
//
// Each service's mode can be switched at run time (SetMode) to any mode whose
// implementations are registered: register every implementation an operator may switch to.
// Calls in flight finish under the mode they started with.
//
// Thread-safe after Create; the clock, ledger (nullable) and sink must outlive it.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/ledger.h"
#include "services/router/routed_services.h"
#include "services/router/service_mode.h"
#include "services/router/service_route.h"

namespace ingestd {

struct ServiceImpls {
  std::map<std::string, std::unique_ptr<Parser>> parsers;
  std::map<std::string, std::unique_ptr<Embedder>> embedders;
};

struct RouterOptions {
  ServiceMode parse_mode = ServiceMode::kMock;
  ServiceMode embed_mode = ServiceMode::kMock;
  BreakerOptions breaker;
  BreakerSink on_breaker;  // optional: breaker state changes of both services
  PriceTable prices;
  // Defaults: EstimateTokens summed over the texts; CountPdfPages of the file.
  TokenCounter count_tokens;
  PageCounter count_pages;
  // Keeps the reservations of calls in progress alive (optional; not owned).
  ReservationKeeper* keeper = nullptr;
};

// A service whose real implementation is registered, for the HealthProber.
struct ProbeTarget {
  ServiceRoute* route = nullptr;
  std::function<Status(const CallContext&)> check;  // the real implementation's CheckHealth
};

class ServiceRouter {
 public:
  // Fails with kUnavailable "SERVICE_NOT_CONFIGURED" (not retryable) when a mode needs an
  // implementation that was not registered (real mode without the real client, e.g. no API key).
  static Result<std::unique_ptr<ServiceRouter>> Create(RouterOptions options, ServiceImpls impls,
                                                       const Clock* clock, Ledger* ledger,
                                                       DecisionSink sink = nullptr);

  Parser* parser() { return parser_.get(); }
  Embedder* embedder() { return embedder_.get(); }
  std::vector<ServiceHealth> Health() const;
  // Every service with a registered real implementation, whatever its mode now (a switch
  // to real or hybrid then finds a breaker that already knows the service's health).
  std::vector<ProbeTarget> ProbeTargets();

  // The mode new calls of service ("parse" | "embed") start under.
  Result<ServiceMode> Mode(std::string_view service) const;
  // Whether service can run under mode in this process: kInvalidArgument "SERVICE_UNKNOWN"
  // (not parse/embed); kUnavailable
  // "SERVICE_NOT_CONFIGURED" (not retryable) when its implementations are not registered.
  Status CheckMode(std::string_view service, ServiceMode mode) const;
  // The same rule for a router that would register the `registered` implementation names
  // (for processes that validate a switch without running a pipeline).
  static Status CheckModeAgainst(std::string_view service, ServiceMode mode,
                                 const std::set<std::string>& registered);
  // CheckMode, then switches: calls starting from now on run under mode. Returns the
  // previous mode.
  Result<ServiceMode> SetMode(std::string_view service, ServiceMode mode);

 private:
  ServiceRouter() = default;
  Result<ServiceRoute*> RouteOf(std::string_view service) const;

  RouterOptions options_;
  ServiceImpls impls_;
  std::unique_ptr<ServiceRoute> parse_route_;
  std::unique_ptr<ServiceRoute> embed_route_;
  std::unique_ptr<RoutedParser> parser_;
  std::unique_ptr<RoutedEmbedder> embedder_;
};

}  // namespace ingestd
