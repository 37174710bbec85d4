#include "services/router/service_router.h"

#include <fstream>
#include <iterator>

#include "services/pdf_pages.h"
#include "services/token_estimate.h"

namespace ingestd {
namespace {

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

// The implementation a mode serves with (primary) and, for hybrid, its fallback.
template <typename T>
Status Pick(const std::string& service, ServiceMode mode,
            std::map<std::string, std::unique_ptr<T>>& impls, T** primary, T** fallback,
            std::string* fallback_name) {
  auto find = [&](const std::string& name) -> T* {
    auto it = impls.find(name);
    return it == impls.end() ? nullptr : it->second.get();
  };
  const std::string main_name = mode == ServiceMode::kHybrid ? "real" : ToString(mode);
  *primary = find(main_name);
  if (*primary == nullptr) {
    return Status::Error(Kind::kUnavailable, "SERVICE_NOT_CONFIGURED",
                         "the " + service + " service has no '" + main_name +
                             "' implementation configured (missing API key?)");
  }
  *fallback = nullptr;
  if (mode == ServiceMode::kHybrid) {
    *fallback_name = find("local") != nullptr ? "local" : "mock";
    *fallback = find(*fallback_name);
    if (*fallback == nullptr) {
      return Status::Error(Kind::kUnavailable, "SERVICE_NOT_CONFIGURED",
                           "hybrid " + service + " needs a local or mock fallback");
    }
  }
  return Status();
}

}  // namespace

Result<std::unique_ptr<ServiceRouter>> ServiceRouter::Create(RouterOptions options,
                                                             ServiceImpls impls, const Clock* clock,
                                                             Ledger* ledger, DecisionSink sink) {
  if (options.embed_mode == ServiceMode::kLocal) {
    return Status::InvalidArgument("SERVICE_MODE_UNKNOWN", "embedding has no local mode");
  }
  if (!options.count_tokens) options.count_tokens = SumEstimatedTokens;
  if (!options.count_pages) options.count_pages = CountFilePages;
  std::unique_ptr<ServiceRouter> r(new ServiceRouter());
  r->options_ = std::move(options);
  r->impls_ = std::move(impls);

  Parser *parse_primary = nullptr, *parse_fallback = nullptr;
  Embedder *embed_primary = nullptr, *embed_fallback = nullptr;
  std::string parse_fallback_name, embed_fallback_name;
  Status s = Pick<Parser>("parse", r->options_.parse_mode, r->impls_.parsers, &parse_primary,
                          &parse_fallback, &parse_fallback_name);
  if (s.ok()) {
    s = Pick<Embedder>("embed", r->options_.embed_mode, r->impls_.embedders, &embed_primary,
                       &embed_fallback, &embed_fallback_name);
  }
  if (!s.ok()) return s;

  r->parse_route_ = std::make_unique<ServiceRoute>(
      ServiceRoute::Options{"parse", r->options_.parse_mode, parse_fallback_name,
                            r->options_.breaker, r->options_.on_breaker},
      clock, ledger, sink);
  r->embed_route_ = std::make_unique<ServiceRoute>(
      ServiceRoute::Options{"embed", r->options_.embed_mode, embed_fallback_name,
                            r->options_.breaker, r->options_.on_breaker},
      clock, ledger, sink);
  r->parser_ = std::make_unique<RoutedParser>(r->parse_route_.get(), parse_primary, parse_fallback,
                                              &r->options_.prices, r->options_.count_pages);
  r->embedder_ =
      std::make_unique<RoutedEmbedder>(r->embed_route_.get(), embed_primary, embed_fallback,
                                       &r->options_.prices, r->options_.count_tokens);
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

}  // namespace ingestd
