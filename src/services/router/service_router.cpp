#include "services/router/service_router.h"

#include <fstream>
#include <iterator>

#include "services/pdf_pages.h"
#include "services/token_estimate.h"

namespace ingestd {
namespace {

constexpr ServiceMode kModes[] = {ServiceMode::kMock, ServiceMode::kLocal, ServiceMode::kReal,
                                  ServiceMode::kHybrid};

int64_t SumEstimatedTokens(const std::vector<std::string>& texts) {
  int64_t n = 0;
  for (const std::string& t : texts) n += EstimateTokens(t);
  return n;
}

Result<int64_t> CountFilePages(const ParseInput& in) {
  std::ifstream f(in.pdf_path, std::ios::binary);
  if (!f) return Status::Internal("BLOB_UNREADABLE", "cannot read the stored document");
  return CountPdfPages(std::string(std::istreambuf_iterator<char>(f), {}));
}

// The name of the implementation a mode serves with ("real" for hybrid).
std::string PrimaryName(ServiceMode mode) {
  return mode == ServiceMode::kHybrid ? "real" : ToString(mode);
}

template <typename T>
T* Find(const std::map<std::string, std::unique_ptr<T>>& impls, const std::string& name) {
  auto it = impls.find(name);
  return it == impls.end() ? nullptr : it->second.get();
}

template <typename T>
std::set<std::string> Names(const std::map<std::string, std::unique_ptr<T>>& impls) {
  std::set<std::string> names;
  for (const auto& entry : impls) names.insert(entry.first);
  return names;
}

// Hybrid's fallback: "local" when registered, else "mock".
template <typename T>
std::string FallbackName(const std::map<std::string, std::unique_ptr<T>>& impls) {
  return Find(impls, "local") != nullptr ? "local" : "mock";
}

// Every mode's lane over the registered implementations; a lane whose implementations are
// missing (or hybrid without a fallback) stays empty.
template <typename T>
Lanes<T> BuildLanes(const std::map<std::string, std::unique_ptr<T>>& impls) {
  Lanes<T> lanes;
  for (ServiceMode mode : kModes) {
    Lane<T> lane{Find(impls, PrimaryName(mode)), nullptr};
    if (mode == ServiceMode::kHybrid) {
      lane.fallback = Find(impls, FallbackName(impls));
      if (lane.fallback == nullptr) lane.primary = nullptr;
    }
    lanes[static_cast<size_t>(mode)] = lane;
  }
  return lanes;
}

}  // namespace

Result<std::unique_ptr<ServiceRouter>> ServiceRouter::Create(RouterOptions options,
                                                             ServiceImpls impls, const Clock* clock,
                                                             Ledger* ledger, DecisionSink sink) {
  if (!options.count_tokens) options.count_tokens = SumEstimatedTokens;
  if (!options.count_pages) options.count_pages = CountFilePages;
  std::unique_ptr<ServiceRouter> r(new ServiceRouter());
  r->options_ = std::move(options);
  r->impls_ = std::move(impls);
  // If this process dies during a call: a parse's retry resumes the recorded LlamaParse job
  // and settles the pages it reports, so its reservation is released; an embeddings request
  // may have been billed and its retry pays again, so its estimate is charged.
  r->parse_route_ = std::make_unique<ServiceRoute>(
      ServiceRoute::Options{"parse", r->options_.parse_mode, FallbackName(r->impls_.parsers),
                            r->options_.breaker, r->options_.on_breaker, OnExpiry::kRelease,
                            r->options_.keeper},
      clock, ledger, sink);
  r->embed_route_ = std::make_unique<ServiceRoute>(
      ServiceRoute::Options{"embed", r->options_.embed_mode, FallbackName(r->impls_.embedders),
                            r->options_.breaker, r->options_.on_breaker, OnExpiry::kCharge,
                            r->options_.keeper},
      clock, ledger, sink);
  r->parser_ = std::make_unique<RoutedParser>(r->parse_route_.get(), BuildLanes(r->impls_.parsers),
                                              &r->options_.prices, r->options_.count_pages);
  r->embedder_ =
      std::make_unique<RoutedEmbedder>(r->embed_route_.get(), BuildLanes(r->impls_.embedders),
                                       &r->options_.prices, r->options_.count_tokens);
  if (Status s = r->CheckMode("parse", r->options_.parse_mode); !s.ok()) return s;
  if (Status s = r->CheckMode("embed", r->options_.embed_mode); !s.ok()) return s;
  return r;
}

std::vector<ProbeTarget> ServiceRouter::ProbeTargets() {
  std::vector<ProbeTarget> targets;
  if (auto it = impls_.parsers.find("real"); it != impls_.parsers.end()) {
    Parser* real = it->second.get();
    targets.push_back(
        {parse_route_.get(), [real](const CallContext& ctx) { return real->CheckHealth(ctx); }});
  }
  if (auto it = impls_.embedders.find("real"); it != impls_.embedders.end()) {
    Embedder* real = it->second.get();
    targets.push_back(
        {embed_route_.get(), [real](const CallContext& ctx) { return real->CheckHealth(ctx); }});
  }
  return targets;
}

std::vector<ServiceHealth> ServiceRouter::Health() const {
  return {parse_route_->Health(), embed_route_->Health()};
}

Result<ServiceRoute*> ServiceRouter::RouteOf(std::string_view service) const {
  if (service == "parse") return parse_route_.get();
  if (service == "embed") return embed_route_.get();
  return Status::InvalidArgument("SERVICE_UNKNOWN",
                                 "unknown service '" + std::string(service) + "' (parse or embed)");
}

Result<ServiceMode> ServiceRouter::Mode(std::string_view service) const {
  auto route = RouteOf(service);
  if (!route.ok()) return route.status();
  return (*route)->mode();
}

Status ServiceRouter::CheckMode(std::string_view service, ServiceMode mode) const {
  return CheckModeAgainst(service, mode,
                          service == "parse" ? Names(impls_.parsers) : Names(impls_.embedders));
}

Status ServiceRouter::CheckModeAgainst(std::string_view service, ServiceMode mode,
                                       const std::set<std::string>& registered) {
  if (service != "parse" && service != "embed") {
    return Status::InvalidArgument(
        "SERVICE_UNKNOWN", "unknown service '" + std::string(service) + "' (parse or embed)");
  }
  const std::string name = PrimaryName(mode);
  if (!registered.contains(name)) {
    return Status::Error(Kind::kUnavailable, "SERVICE_NOT_CONFIGURED",
                         "the " + std::string(service) + " service has no '" + name +
                             "' implementation configured (missing API key?)");
  }
  if (mode == ServiceMode::kHybrid && !registered.contains("local") &&
      !registered.contains("mock")) {
    return Status::Error(Kind::kUnavailable, "SERVICE_NOT_CONFIGURED",
                         "hybrid " + std::string(service) + " needs a local or mock fallback");
  }
  return Status();
}

Result<ServiceMode> ServiceRouter::SetMode(std::string_view service, ServiceMode mode) {
  if (Status s = CheckMode(service, mode); !s.ok()) return s;
  return (*RouteOf(service))->SetMode(mode);
}

}  // namespace ingestd
