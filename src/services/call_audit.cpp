#include "services/call_audit.h"

namespace ingestd {

AuditRecord AuditFor(const CallContext& ctx, const http::ExchangeRecord& exchange,
                     std::string service, std::string provider, std::string operation,
                     std::string key_id) {
  AuditRecord a;
  a.at_ms = exchange.sent_at_ms;
  a.correlation_id = ctx.correlation_id;
  a.job_id = ctx.job_id;
  a.user_id = ctx.user_id;
  a.service = std::move(service);
  a.provider = std::move(provider);
  a.operation = std::move(operation);
  a.key_id = std::move(key_id);
  a.http_status = exchange.result->ok() ? static_cast<int>((*exchange.result)->status) : 0;
  if (!exchange.verdict->ok()) a.error_code = exchange.verdict->code();
  a.latency_ms = exchange.latency_ms;
  a.attempt = exchange.attempt;
  return a;
}

}  // namespace ingestd
