// Alert: one operator-facing condition worth a human's attention (issue 8): a budget window
// at 80 % / 95 % / exhausted, a paid call settled at $0, spend above what its reservation
// held (cost_overrun), a circuit breaker opened or closed, a fallback or dead-letter rate
// crossing its threshold (and coming back down). Raised once
// per crossing by its source; AlertHub records, logs and delivers it.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

namespace ingestd {

struct Alert {
  std::string id;  // UUIDv4, assigned by AlertHub::Raise when empty; receivers dedupe on it
  // budget_pct80 | budget_pct95 | budget_exhausted | cost_zero_settled | cost_overrun |
  // breaker_opened |
  // breaker_closed | fallback_rate_high | fallback_rate_normal | dead_letter_rate_high |
  // dead_letter_rate_normal
  std::string kind;
  std::string scope;     // "total" | "parse" | "embed" | "user:<id>" | "pipeline"
  std::string metric;    // "usd" | "requests" | "rate" | "state"
  double value = 0;      // what was observed: spend, request count, rate in [0, 1]
  double threshold = 0;  // what it was measured against: the limit, or the rate threshold
  std::string severity = "warning";  // "info" | "warning" | "critical"
  std::string message;               // one human sentence, safe to show anywhere
  std::string job_id;                // the job whose call or finish raised it, when known
  std::string correlation_id;
  int64_t at_ms = 0;
  nlohmann::json details = nlohmann::json::object();  // source-specific extras
};

// {"id","kind","scope","metric","value","threshold","severity","message","job_id",
//  "correlation_id","at" (RFC 3339),"details"}: the API's and the webhook's alert object.
nlohmann::json AlertJson(const Alert& alert);

// The job event code of an alert: BUDGET_ALERT for budget_*, otherwise the kind in upper
// case (COST_ZERO_SETTLED, COST_OVERRUN, BREAKER_OPENED, FALLBACK_RATE_HIGH, …).
std::string AlertEventCode(const Alert& alert);

// Slack's `text`: an emoji by severity, "[ingestd]", the message, scope and correlation id.
std::string SlackText(const Alert& alert);

}  // namespace ingestd
