// The Parser and Embedder the pipeline sees: each call goes through its ServiceRoute, which
// picks the real implementation or the fallback and accounts for the cost. The pipeline
// needs no change to use them.
//
// Each call reads the route's mode once, when it starts, and is served by that mode's lane
// for its whole course: a mode switch never moves a call in flight to another
// implementation.
//
// Vectors keep the tag and dimensions (EmbedOutput::dimensions) of the implementation that
// made them: a fallback's vectors carry the fallback's model, so they never pass for the
// real model's (and can be re-embedded later).
#pragma once

#include <array>
#include <functional>
#include <string>
#include <vector>

#include "ledger/price_table.h"
#include "services/embedder.h"
#include "services/parser.h"
#include "services/router/service_route.h"

namespace ingestd {

// Local estimates of a call's size before it goes out.
using TokenCounter = std::function<int64_t(const std::vector<std::string>& texts)>;
using PageCounter = std::function<Result<int64_t>(const ParseInput& in)>;

// The implementations one mode serves with: its own (for hybrid: "real") and, in hybrid,
// the fallback. primary is null when the mode is not configured in this process.
template <typename T>
struct Lane {
  T* primary = nullptr;
  T* fallback = nullptr;
};
// One lane per ServiceMode, indexed by its value.
template <typename T>
using Lanes = std::array<Lane<T>, 4>;

template <typename T>
const Lane<T>& LaneOf(const Lanes<T>& lanes, ServiceMode mode) {
  return lanes[static_cast<size_t>(mode)];
}

// Borrowed pointers must outlive the routed service. The route's mode (and every mode it is
// switched to) must have a lane with a primary (ServiceRouter::CheckMode guarantees it).
class RoutedParser final : public Parser {
 public:
  RoutedParser(ServiceRoute* route, Lanes<Parser> lanes, const PriceTable* prices,
               PageCounter pages);
  std::string name() const override { return "router"; }
  Result<ParseOutput> Parse(const ParseInput& in, const CallContext& ctx) override;

 private:
  Result<ParseOutput> Fallback(const Lane<Parser>& lane, ServiceMode mode, const ParseInput& in,
                               const CallContext& ctx, const std::string& reason);

  ServiceRoute* const route_;
  const Lanes<Parser> lanes_;
  const PriceTable* const prices_;
  const PageCounter pages_;
};

class RoutedEmbedder final : public Embedder {
 public:
  RoutedEmbedder(ServiceRoute* route, Lanes<Embedder> lanes, const PriceTable* prices,
                 TokenCounter tokens);
  std::string name() const override { return "router"; }
  // The current mode's primary: what new calls are meant to be embedded with.
  std::string model() const override { return Current().primary->model(); }
  int dimensions() const override { return Current().primary->dimensions(); }
  Result<EmbedOutput> Embed(const std::vector<std::string>& texts, const CallContext& ctx) override;

 private:
  const Lane<Embedder>& Current() const { return LaneOf(lanes_, route_->mode()); }
  Result<EmbedOutput> Fallback(const Lane<Embedder>& lane, ServiceMode mode,
                               const std::vector<std::string>& texts, const CallContext& ctx,
                               const std::string& reason);

  ServiceRoute* const route_;
  const Lanes<Embedder> lanes_;
  const PriceTable* const prices_;
  const TokenCounter tokens_;
};

}  // namespace ingestd
