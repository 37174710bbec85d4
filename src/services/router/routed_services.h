// The Parser and Embedder the pipeline sees: each call goes through its ServiceRoute, which
// picks the real implementation or the fallback and accounts for the cost. The pipeline
// needs no change to use them.
//
// Vectors keep the tag of the implementation that made them: a fallback's vectors carry the
// fallback's model, so they never pass for the real model's (and can be re-embedded later).
#pragma once

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

// Borrowed pointers must outlive the routed service; fallback may be null (not hybrid).
class RoutedParser final : public Parser {
 public:
  RoutedParser(ServiceRoute* route, Parser* primary, Parser* fallback, const PriceTable* prices,
               PageCounter pages);
  std::string name() const override { return "router"; }
  Result<ParseOutput> Parse(const ParseInput& in, const CallContext& ctx) override;

 private:
  Result<ParseOutput> Fallback(const ParseInput& in, const CallContext& ctx,
                               const std::string& reason);

  ServiceRoute* const route_;
  Parser* const primary_;
  Parser* const fallback_;
  const PriceTable* const prices_;
  const PageCounter pages_;
};

class RoutedEmbedder final : public Embedder {
 public:
  RoutedEmbedder(ServiceRoute* route, Embedder* primary, Embedder* fallback,
                 const PriceTable* prices, TokenCounter tokens);
  std::string name() const override { return "router"; }
  // The primary's: what the job is meant to be embedded with.
  std::string model() const override { return primary_->model(); }
  int dimensions() const override { return primary_->dimensions(); }
  Result<EmbedOutput> Embed(const std::vector<std::string>& texts, const CallContext& ctx) override;

 private:
  Result<EmbedOutput> Fallback(const std::vector<std::string>& texts, const CallContext& ctx,
                               const std::string& reason);

  ServiceRoute* const route_;
  Embedder* const primary_;
  Embedder* const fallback_;
  const PriceTable* const prices_;
  const TokenCounter tokens_;
};

}  // namespace ingestd
