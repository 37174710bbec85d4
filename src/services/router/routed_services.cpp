#include "services/router/routed_services.h"

namespace ingestd {

RoutedParser::RoutedParser(ServiceRoute* route, Parser* primary, Parser* fallback,
                           const PriceTable* prices, PageCounter pages)
    : route_(route),
      primary_(primary),
      fallback_(fallback),
      prices_(prices),
      pages_(std::move(pages)) {}

Result<ParseOutput> RoutedParser::Parse(const ParseInput& in, const CallContext& ctx) {
  if (!route_->paid()) {
    auto out = primary_->Parse(in, ctx);
    if (out.ok()) route_->Record(ctx, primary_->name(), false, "mode");
    return out;
  }
  auto pages = pages_(in);
  if (!pages.ok()) return pages.status();
  auto admission = route_->Admit(ctx, prices_->ParseCost(*pages));
  if (!admission.ok()) return admission.status();
  if (!admission->use_real) return Fallback(in, ctx, admission->reason);

  auto out = primary_->Parse(in, ctx);
  Usage usage;
  if (out.ok()) {
    usage = {prices_->ParseCost(out->page_count), out->page_count, "pages", "", false};
    out->cost_usd = NanosToUsd(usage.cost_nanos);
  }
  const bool fall_back =
      route_->Complete(*admission, ctx, out.ok() ? Status() : out.status(), usage);
  if (out.ok()) {
    route_->Record(ctx, primary_->name(), false, "real");
    return out;
  }
  if (fall_back) return Fallback(in, ctx, "real_failed:" + out.status().code());
  return out;
}

Result<ParseOutput> RoutedParser::Fallback(const ParseInput& in, const CallContext& ctx,
                                           const std::string& reason) {
  auto out = fallback_->Parse(in, ctx);
  if (out.ok()) route_->Record(ctx, fallback_->name(), true, reason);
  return out;
}

RoutedEmbedder::RoutedEmbedder(ServiceRoute* route, Embedder* primary, Embedder* fallback,
                               const PriceTable* prices, TokenCounter tokens)
    : route_(route),
      primary_(primary),
      fallback_(fallback),
      prices_(prices),
      tokens_(std::move(tokens)) {}

Result<EmbedOutput> RoutedEmbedder::Embed(const std::vector<std::string>& texts,
                                          const CallContext& ctx) {
  if (!route_->paid()) {
    auto out = primary_->Embed(texts, ctx);
    if (out.ok()) route_->Record(ctx, primary_->name(), false, "mode");
    return out;
  }
  const int64_t estimate = prices_->EmbedCost(primary_->model(), tokens_(texts));
  auto admission = route_->Admit(ctx, estimate);
  if (!admission.ok()) return admission.status();
  if (!admission->use_real) return Fallback(texts, ctx, admission->reason);

  auto out = primary_->Embed(texts, ctx);
  Usage usage;
  if (out.ok()) {
    usage = {prices_->EmbedCost(out->model, out->total_tokens), out->total_tokens, "tokens",
             out->model, false};
    out->cost_usd = NanosToUsd(usage.cost_nanos);
  }
  const bool fall_back =
      route_->Complete(*admission, ctx, out.ok() ? Status() : out.status(), usage);
  if (out.ok()) {
    route_->Record(ctx, primary_->name(), false, "real");
    return out;
  }
  if (fall_back) return Fallback(texts, ctx, "real_failed:" + out.status().code());
  return out;
}

Result<EmbedOutput> RoutedEmbedder::Fallback(const std::vector<std::string>& texts,
                                             const CallContext& ctx, const std::string& reason) {
  auto out = fallback_->Embed(texts, ctx);
  if (!out.ok()) return out;
  if (out->model == primary_->model()) {
    // Vector spaces must never mix: a fallback may not claim the real model's tag.
    return Status::Internal("MODEL_TAG_COLLISION",
                            "the fallback embedder reports the real model's tag");
  }
  route_->Record(ctx, fallback_->name(), true, reason);
  return out;
}

}  // namespace ingestd
