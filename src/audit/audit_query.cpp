#include "audit/audit_query.h"

#include <charconv>

#include "core/clock.h"
#include "core/money.h"

namespace ingestd {
namespace {

Status Invalid(const std::string& why) {
  return Status::InvalidArgument("AUDIT_QUERY_INVALID", why);
}

std::string Param(const std::map<std::string, std::string>& params, const std::string& name) {
  auto it = params.find(name);
  return it == params.end() ? std::string() : it->second;
}

nlohmann::json EntryJson(const AuditRecord& r) {
  const nlohmann::json error =
      r.error_code.empty() ? nlohmann::json() : nlohmann::json(r.error_code);
  return {{"id", r.audit_id},
          {"at", FormatRfc3339(r.at_ms)},
          {"correlation_id", r.correlation_id},
          {"job_id", r.job_id},
          {"user_id", r.user_id},
          {"service", r.service},
          {"provider", r.provider},
          {"operation", r.operation},
          {"key_id", r.key_id},
          {"model", r.model},
          {"inputs", r.inputs},
          {"tokens", r.tokens},
          {"pages", r.pages},
          {"cost_nanos", r.cost_nanos},
          {"cost_usd", NanosToUsd(r.cost_nanos)},
          {"http_status", r.http_status},
          {"error_code", error},
          {"latency_ms", r.latency_ms}};
}

}  // namespace

Result<AuditQuery> MakeAuditQuery(const std::map<std::string, std::string>& params,
                                  int64_t now_ms) {
  AuditQuery q;
  // The cost report's time syntax, but all history by default (not today).
  q.from_ms = 0;
  q.to_ms = now_ms + 1;
  for (auto [name, bound] : {std::pair{"from", &q.from_ms}, std::pair{"to", &q.to_ms}}) {
    const std::string text = Param(params, name);
    if (text.empty()) continue;
    auto ms = ParseTimeParam(text);
    if (!ms) {
      return Invalid(std::string(name) +
                     " must be epoch milliseconds, YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ");
    }
    *bound = *ms;
  }
  if (q.to_ms <= q.from_ms) return Invalid("to must be later than from");
  q.service = Param(params, "service");
  if (!q.service.empty() && q.service != "parse" && q.service != "embed") {
    return Invalid("service must be 'parse' or 'embed'");
  }
  q.job_id = Param(params, "job_id");
  q.user_id = Param(params, "user_id");
  q.key_id = Param(params, "key_id");
  const std::string status = Param(params, "status");
  if (status == "ok") {
    q.outcome = AuditQuery::Outcome::kOk;
  } else if (status == "error") {
    q.outcome = AuditQuery::Outcome::kError;
  } else if (!status.empty()) {
    int code = -1;
    auto [p, ec] = std::from_chars(status.data(), status.data() + status.size(), code);
    if (ec != std::errc() || p != status.data() + status.size() || code < 0 || code > 999) {
      return Invalid("status must be 'ok', 'error' or an HTTP status (0: no answer)");
    }
    q.http_status = code;
  }
  return q;
}

nlohmann::json AuditPageJson(const AuditQuery& query, const AuditPage& page) {
  nlohmann::json entries = nlohmann::json::array();
  for (const AuditRecord& r : page.records) entries.push_back(EntryJson(r));
  return {{"entries", std::move(entries)},
          {"totals",
           {{"requests", page.totals.requests},
            {"tokens", page.totals.tokens},
            {"pages", page.totals.pages},
            {"cost_nanos", page.totals.cost_nanos},
            {"cost_usd", NanosToUsd(page.totals.cost_nanos)}}},
          {"limit", query.limit},
          {"offset", query.offset}};
}

}  // namespace ingestd
