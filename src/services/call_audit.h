// The audit row of one exchange with a paid provider (audit/audit_log.h), filled from the
// call's context and what SendWithRetry observed; the client adds its usage (tokens, pages).
#pragma once

#include <string>

#include "audit/audit_log.h"
#include "services/http/retrying_sender.h"
#include "services/parser.h"

namespace ingestd {

AuditRecord AuditFor(const CallContext& ctx, const http::ExchangeRecord& exchange,
                     std::string service, std::string provider, std::string operation,
                     std::string key_id);

}  // namespace ingestd
