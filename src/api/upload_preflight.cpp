#include "api/upload_preflight.h"

#include <vector>

#include "services/router/service_router.h"

namespace ingestd::api {
namespace {

bool IsPaidMode(const std::string& mode) { return mode == "real" || mode == "hybrid"; }

nlohmann::json HealthAtUploadJson(const ServiceHealth& h) {
  return {{"mode", h.mode},
          {"implementation", h.implementation},
          {"breaker", ToString(h.breaker.state)},
          {"consecutive_failures", h.breaker.consecutive_failures},
          {"recent_error_rate", h.breaker.error_rate},
          {"last_error_code", h.last_error_code}};
}

Status CircuitOpen(const ServiceHealth& h, int64_t now_ms) {
  Status s = Status::Unavailable("SERVICE_CIRCUIT_OPEN",
                                 "the " + h.service +
                                     " service is unavailable (circuit open) and runs in real "
                                     "mode, which has no fallback; try again later");
  return h.breaker.retry_at_ms > now_ms ? s.WithRetryAfterMs(h.breaker.retry_at_ms - now_ms) : s;
}

}  // namespace

UploadPreflight::UploadPreflight(PreflightOptions options, ServiceRouter* router, Ledger* ledger,
                                 const Clock* clock)
    : options_(std::move(options)), router_(router), ledger_(ledger), clock_(clock) {}

bool UploadPreflight::PaidServices() const {
  if (router_ == nullptr) return false;
  for (const ServiceHealth& h : router_->Health()) {
    if (IsPaidMode(h.mode)) return true;
  }
  return false;
}

Status UploadPreflight::Check(const UploadFacts& facts, Job* job) const {
  if (!options_.not_configured.ok()) return options_.not_configured;
  if (router_ == nullptr) return Status();  // no services in this process: nothing to check
  const int64_t now = clock_->NowMillis();
  const std::vector<ServiceHealth> health = router_->Health();

  JobCostInput input{facts.size_bytes, facts.pages, false, false, options_.embed_model};
  std::vector<const ServiceHealth*> real;
  nlohmann::json config = nlohmann::json::object();
  nlohmann::json statuses = nlohmann::json::object();
  for (const ServiceHealth& h : health) {
    const bool paid = IsPaidMode(h.mode);
    (h.service == "parse" ? input.parse_paid : input.embed_paid) = paid;
    if (h.mode == "real") real.push_back(&h);
    auto fallback = options_.fallbacks.find(h.service);
    config[h.service] = {{"mode", h.mode},
                         {"implementation", h.mode == "hybrid" ? "real" : h.mode},
                         {"fallback", h.mode == "hybrid" && fallback != options_.fallbacks.end()
                                          ? nlohmann::json(fallback->second)
                                          : nlohmann::json(nullptr)}};
    statuses[h.service] = HealthAtUploadJson(h);
  }
  if (input.embed_paid) config["embed"]["model"] = options_.embed_model;
  config["breaker"] = {{"failure_threshold", options_.breaker.failure_threshold},
                       {"open_ms", options_.breaker.open_ms}};
  const PriceTable& prices = options_.budgets.prices;
  const auto credits = prices.parse_credits_per_page.find(prices.parse_tier);
  const auto embed = prices.embed_nanos_per_mtok.find(options_.embed_model);
  config["prices"] = {
      {"version", prices.version},
      {"parse_tier", prices.parse_tier},
      {"parse_credits_per_page",
       credits == prices.parse_credits_per_page.end() ? 0.0 : credits->second},
      {"embed_nanos_per_mtok", embed == prices.embed_nanos_per_mtok.end() ? 0 : embed->second}};

  for (const ServiceHealth* h : real) {
    if (h->service == "parse" && facts.size_bytes > options_.real_parse_max_bytes) {
      return Status::Error(Kind::kPayloadTooLarge, "FILE_TOO_LARGE_FOR_SERVICE",
                           "the real parser accepts files of at most " +
                               std::to_string(options_.real_parse_max_bytes) + " bytes");
    }
  }
  for (const ServiceHealth* h : real) {
    if (h->breaker.state == BreakerState::kOpen) return CircuitOpen(*h, now);
  }

  const JobCostEstimate estimate = EstimateJobCost(options_.budgets.prices, input);
  if (ledger_ != nullptr && !real.empty()) {
    std::vector<PreflightDemand> demands;
    for (const ServiceHealth* h : real) {
      demands.push_back(
          {h->service, h->service == "parse" ? estimate.parse_nanos : estimate.embed_nanos, 1});
    }
    auto windows = ledger_->CurrentWindows();
    if (!windows.ok()) return windows.status();
    Status s = CheckBudgetPreflight(options_.budgets, *windows, demands, facts.user_id,
                                    job->processing_priority, now);
    if (!s.ok()) return s;
  }

  // The modes in force now (live switching may have changed the configured ones), in the
  // configuration's notation: one mode, or "parse=…,embed=…" when they differ.
  const std::string parse_mode = config["parse"].value("mode", "");
  const std::string embed_mode = config["embed"].value("mode", "");
  job->service_mode =
      parse_mode == embed_mode ? parse_mode : "parse=" + parse_mode + ",embed=" + embed_mode;
  job->router_config = std::move(config);
  job->service_health = std::move(statuses);
  job->cost_estimate = {{"pages", estimate.pages},
                        {"pages_basis", estimate.pages_counted ? "pdf" : "size"},
                        {"tokens", estimate.tokens},
                        {"parse_nanos", estimate.parse_nanos},
                        {"embed_nanos", estimate.embed_nanos},
                        {"total_nanos", estimate.total_nanos()}};
  job->cost_tracking_enabled = ledger_ != nullptr && (input.parse_paid || input.embed_paid);
  return Status();
}

}  // namespace ingestd::api
