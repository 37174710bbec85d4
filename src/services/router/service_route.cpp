#include "services/router/service_route.h"

#include <algorithm>

#include "core/log.h"
#include "core/trace.h"

namespace ingestd {

ServiceRoute::ServiceRoute(Options options, const Clock* clock, Ledger* ledger, DecisionSink sink)
    : options_(std::move(options)),
      clock_(clock),
      ledger_(ledger),
      sink_(std::move(sink)),
      breaker_(options_.breaker, clock),
      mode_(options_.mode) {}

bool ServiceRoute::IsServiceFault(const Status& s) {
  if (s.ok()) return false;
  if (s.retryable()) return true;
  switch (s.kind()) {
    case Kind::kUpstream:
    case Kind::kUnavailable:
    case Kind::kRateLimited:
    case Kind::kBudgetExceeded:  // the provider's quota (insufficient_quota)
    case Kind::kUnauthenticated:
    case Kind::kPermissionDenied:
    case Kind::kInternal:
      return true;
    default:
      return false;  // the input's fault: another implementation would not do better
  }
}

Result<ServiceRoute::Admission> ServiceRoute::Admit(const CallContext& ctx, ServiceMode mode,
                                                    int64_t estimate_nanos) {
  const bool hybrid = mode == ServiceMode::kHybrid;
  Admission a;
  a.mode = mode;
  if (!breaker_.Allow()) {
    if (!hybrid) {
      return Status::Unavailable("SERVICE_UNAVAILABLE",
                                 "the " + options_.service +
                                     " service is unavailable (circuit open); the job will retry")
          .WithRetryAfterMs(breaker_.RetryAfterMs());
    }
    a.reason = "breaker_open";
    return a;
  }
  if (ledger_ != nullptr) {
    // Never $0: a free reservation would let a paid call through a full budget.
    ReserveRequest req{options_.service, std::max<int64_t>(estimate_nanos, 1), ctx.user_id,
                       ctx.job_id, ctx.correlation_id};
    req.on_expiry = options_.on_expiry;
    req.processing_priority = ctx.processing_priority;
    trace::Span span("ledger reserve", trace::SpanKind::kInternal);
    span.SetAttribute("ingestd.service", options_.service);
    span.SetAttribute("ingestd.estimate_nanos", req.estimate_nanos);
    auto r = ledger_->Reserve(req);
    if (!r.ok()) span.SetError(r.status().code());
    span.End();
    if (!r.ok()) {
      breaker_.RecordNeutral();  // the call never went out
      if (hybrid && r.status().kind() == Kind::kBudgetExceeded) {
        a.reason = "budget:" + r.status().code();
        return a;
      }
      return r.status();
    }
    a.reservation = std::move(*r);
    if (options_.keeper) options_.keeper->Hold(a.reservation->id);
  }
  a.use_real = true;
  a.started_mono_ms = clock_->MonotonicMillis();
  return a;
}

bool ServiceRoute::Complete(const Admission& a, const CallContext& ctx, const Status& outcome,
                            const std::optional<Usage>& billed) {
  last_latency_ms_ = clock_->MonotonicMillis() - a.started_mono_ms;
  const bool fault = IsServiceFault(outcome);
  std::optional<BreakerTransition> changed;
  if (outcome.ok()) {
    changed = breaker_.RecordSuccess();
  } else if (fault) {
    changed = breaker_.RecordFailure();
  } else {
    breaker_.RecordNeutral();
  }
  if (changed && options_.on_breaker) {
    options_.on_breaker(
        {options_.service, *changed, breaker_.Snapshot(), ctx.job_id, ctx.correlation_id});
  }
  if (!outcome.ok()) {
    std::lock_guard lock(mu_);
    last_error_code_ = outcome.code();
  }
  if (a.reservation) {
    trace::Span span(billed ? "ledger settle" : "ledger release", trace::SpanKind::kInternal);
    span.SetAttribute("ingestd.service", options_.service);
    Status s =
        billed ? ledger_->Settle(a.reservation->id, *billed) : ledger_->Release(a.reservation->id);
    if (!s.ok()) span.SetError(s.code());
    span.End();
    if (options_.keeper) options_.keeper->Drop(a.reservation->id);
    if (!s.ok()) {
      // The reservation stays open until it lapses (on_expiry): the budget is held back
      // (never overspent), but this call's actual spend is not recorded.
      log::Error("ledger settlement failed", {{"correlation_id", ctx.correlation_id},
                                              {"job_id", ctx.job_id},
                                              {"service", options_.service},
                                              {"reservation_id", a.reservation->id},
                                              {"code", s.code()}});
    }
  }
  return fault && a.mode == ServiceMode::kHybrid;
}

void ServiceRoute::Park(const Admission& a, const CallContext& ctx, const Status& outcome) {
  last_latency_ms_ = clock_->MonotonicMillis() - a.started_mono_ms;
  const auto changed =
      IsParsePending(outcome) ? breaker_.RecordSuccess() : breaker_.RecordFailure();
  if (changed && options_.on_breaker) {
    options_.on_breaker(
        {options_.service, *changed, breaker_.Snapshot(), ctx.job_id, ctx.correlation_id});
  }
  if (!a.reservation) return;
  if (options_.keeper) options_.keeper->Drop(a.reservation->id);
  auto extended =
      ledger_->Extend({a.reservation->id}, clock_->NowMillis() + options_.parked_reservation_ms);
  if (!extended.ok()) {
    // It lapses at its current expiry (on_expiry); the resume's settle still records it.
    log::Warn("could not extend a parked call's reservation",
              {{"correlation_id", ctx.correlation_id},
               {"job_id", ctx.job_id},
               {"reservation_id", a.reservation->id},
               {"code", extended.status().code()}});
  }
}

ServiceRoute::Admission ServiceRoute::Resume(ServiceMode mode, const std::string& reservation_id) {
  Admission a;
  a.mode = mode;
  a.use_real = true;
  if (ledger_ != nullptr) {
    a.reservation = Reservation{reservation_id, 0};
    if (options_.keeper) options_.keeper->Hold(reservation_id);
  }
  a.started_mono_ms = clock_->MonotonicMillis();
  return a;
}

void ServiceRoute::Record(const CallContext& ctx, ServiceMode mode,
                          const std::string& implementation, bool fallback,
                          const std::string& reason, int64_t cost_nanos) {
  (fallback ? fallback_calls_ : primary_calls_)++;
  RouteDecision d{options_.service, ToString(mode), implementation,     fallback,
                  reason,           ctx.job_id,     ctx.correlation_id, cost_nanos};
  log::Write(fallback ? log::Level::kWarn : log::Level::kDebug, "service routed",
             {{"correlation_id", d.correlation_id},
              {"job_id", d.job_id},
              {"service", d.service},
              {"mode", d.mode},
              {"implementation", d.implementation},
              {"fallback_triggered", d.fallback_triggered},
              {"reason", d.reason}});
  if (sink_) sink_(d);
}

ServiceHealth ServiceRoute::Health() const {
  ServiceHealth h;
  const ServiceMode mode = this->mode();
  h.service = options_.service;
  h.mode = ToString(mode);
  h.breaker = breaker_.Snapshot();
  switch (mode) {
    case ServiceMode::kMock:
    case ServiceMode::kLocal:
      h.implementation = h.mode;
      break;
    case ServiceMode::kReal:
      h.implementation = "real";
      break;
    case ServiceMode::kHybrid:
      h.implementation = h.breaker.state == BreakerState::kOpen ? options_.fallback : "real";
      break;
  }
  h.last_latency_ms = last_latency_ms_;
  h.primary_calls = primary_calls_;
  h.fallback_calls = fallback_calls_;
  std::lock_guard lock(mu_);
  h.last_error_code = last_error_code_;
  h.last_probe = last_probe_;
  return h;
}

void ServiceRoute::RecordProbe(const ProbeResult& probe, const std::string& correlation_id) {
  {
    std::lock_guard lock(mu_);
    last_probe_ = probe;
  }
  const std::optional<BreakerTransition> changed = breaker_.RecordProbe(probe.ok);
  if (changed && options_.on_breaker) {
    options_.on_breaker({options_.service, *changed, breaker_.Snapshot(), "", correlation_id});
  }
}

}  // namespace ingestd
