#include "services/router/routed_services.h"

namespace ingestd {

RoutedParser::RoutedParser(ServiceRoute* route, Lanes<Parser> lanes, const PriceTable* prices,
                           PageCounter pages)
    : route_(route), lanes_(lanes), prices_(prices), pages_(std::move(pages)) {}

Result<ParseOutput> RoutedParser::Parse(const ParseInput& in, const CallContext& ctx) {
  const ServiceMode mode = route_->mode();  // this call's mode, whatever happens meanwhile
  const Lane<Parser>& lane = LaneOf(lanes_, mode);
  if (!ServiceRoute::IsPaid(mode)) {
    auto out = lane.primary->Parse(in, ctx);
    if (out.ok()) route_->Record(ctx, mode, lane.primary->name(), false, "mode");
    return out;
  }
  // A parked call resumes with its own reservation; a new one is admitted as usual.
  const std::string parked = ctx.parked_reservation ? *ctx.parked_reservation : "";
  Result<ServiceRoute::Admission> admission = ServiceRoute::Admission{};
  if (!parked.empty()) {
    admission = route_->Resume(mode, parked);
  } else {
    auto pages = pages_(in);
    if (!pages.ok()) return pages.status();
    admission = route_->Admit(ctx, mode, prices_->ParseCost(*pages));
    if (!admission.ok()) return admission.status();
    if (!admission->use_real) return Fallback(lane, mode, in, ctx, admission->reason);
  }

  UsageMeter meter;
  CallContext metered = ctx;
  metered.billed = &meter;
  auto out = lane.primary->Parse(in, metered);
  // Still pending, or a resumed call that will be resumed again (a retryable failure): the
  // provider keeps the job, so the reservation waits with it.
  if (!out.ok() &&
      (IsParsePending(out.status()) || (!parked.empty() && out.status().retryable()))) {
    route_->Park(*admission, ctx, out.status());
    if (ctx.parked_reservation && admission->reservation) {
      *ctx.parked_reservation = admission->reservation->id;
    }
    return out.status();
  }
  if (ctx.parked_reservation) ctx.parked_reservation->clear();
  // What the provider billed: its own report when the implementation meters, else the
  // output's pages; a failed call that billed nothing is released.
  const int64_t billed_pages =
      meter.reported ? meter.units : (out.ok() && !out->cache_hit ? out->page_count : 0);
  std::optional<Usage> billed;
  if (out.ok() || billed_pages > 0) {
    billed = Usage{prices_->ParseCost(billed_pages), billed_pages, "pages", "",
                   out.ok() && out->cache_hit};
  }
  if (out.ok()) out->cost_usd = NanosToUsd(billed->cost_nanos);
  const bool fall_back =
      route_->Complete(*admission, ctx, out.ok() ? Status() : out.status(), billed);
  if (out.ok()) {
    route_->Record(ctx, mode, lane.primary->name(), false, "real", billed->cost_nanos);
    return out;
  }
  if (fall_back) return Fallback(lane, mode, in, ctx, "real_failed:" + out.status().code());
  return out;
}

Result<ParseOutput> RoutedParser::Fallback(const Lane<Parser>& lane, ServiceMode mode,
                                           const ParseInput& in, const CallContext& ctx,
                                           const std::string& reason) {
  auto out = lane.fallback->Parse(in, ctx);
  if (out.ok()) route_->Record(ctx, mode, lane.fallback->name(), true, reason);
  return out;
}

RoutedEmbedder::RoutedEmbedder(ServiceRoute* route, Lanes<Embedder> lanes, const PriceTable* prices,
                               TokenCounter tokens)
    : route_(route), lanes_(lanes), prices_(prices), tokens_(std::move(tokens)) {}

Result<EmbedOutput> RoutedEmbedder::Embed(const std::vector<std::string>& texts,
                                          const CallContext& ctx) {
  const ServiceMode mode = route_->mode();  // this call's mode, whatever happens meanwhile
  const Lane<Embedder>& lane = LaneOf(lanes_, mode);
  if (!ServiceRoute::IsPaid(mode)) {
    auto out = lane.primary->Embed(texts, ctx);
    if (!out.ok()) return out;
    route_->Record(ctx, mode, lane.primary->name(), false, "mode");
    out->dimensions = lane.primary->dimensions();
    return out;
  }
  const int64_t estimate = prices_->EmbedCost(lane.primary->model(), tokens_(texts));
  auto admission = route_->Admit(ctx, mode, estimate);
  if (!admission.ok()) return admission.status();
  if (!admission->use_real) return Fallback(lane, mode, texts, ctx, admission->reason);

  UsageMeter meter;
  CallContext metered = ctx;
  metered.billed = &meter;
  auto out = lane.primary->Embed(texts, metered);
  // What the provider billed, retries and the requests of a call that failed later
  // included; a failed call that billed nothing is released.
  const int64_t tokens = meter.reported ? meter.units : (out.ok() ? out->total_tokens : 0);
  std::optional<Usage> billed;
  if (out.ok() || tokens > 0) {
    const std::string model = out.ok() ? out->model : lane.primary->model();
    billed = Usage{prices_->EmbedCost(model, tokens), tokens, "tokens", model, false};
  }
  if (out.ok()) out->cost_usd = NanosToUsd(billed->cost_nanos);
  const bool fall_back =
      route_->Complete(*admission, ctx, out.ok() ? Status() : out.status(), billed);
  if (out.ok()) {
    route_->Record(ctx, mode, lane.primary->name(), false, "real", billed->cost_nanos);
    out->dimensions = lane.primary->dimensions();
    return out;
  }
  if (fall_back) return Fallback(lane, mode, texts, ctx, "real_failed:" + out.status().code());
  return out;
}

Result<EmbedOutput> RoutedEmbedder::Fallback(const Lane<Embedder>& lane, ServiceMode mode,
                                             const std::vector<std::string>& texts,
                                             const CallContext& ctx, const std::string& reason) {
  auto out = lane.fallback->Embed(texts, ctx);
  if (!out.ok()) return out;
  if (out->model == lane.primary->model()) {
    // Vector spaces must never mix: a fallback may not claim the real model's tag.
    return Status::Internal("MODEL_TAG_COLLISION",
                            "the fallback embedder reports the real model's tag");
  }
  route_->Record(ctx, mode, lane.fallback->name(), true, reason);
  out->dimensions = lane.fallback->dimensions();  // its own model space, not the real one's
  return out;
}

}  // namespace ingestd
