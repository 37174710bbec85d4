// GET /api/v1/audit's parameters and answer, apart from the HTTP layer:
// from, to (epoch ms, YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ; default: everything up to now),
// service, job_id, user_id, key_id (exact matches), status ("ok", "error", or one HTTP status
// such as 401; 0 is a request that got no HTTP answer). limit/offset are the API's paging
// parameters, read by the handler.
#pragma once

#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "audit/audit_log.h"

namespace ingestd {

// kInvalidArgument "AUDIT_QUERY_INVALID" for a malformed time, status or service.
Result<AuditQuery> MakeAuditQuery(const std::map<std::string, std::string>& params, int64_t now_ms);

// {"entries":[…], "totals":{requests,tokens,pages,cost_usd,cost_nanos}, "limit", "offset"};
// times are RFC 3339.
nlohmann::json AuditPageJson(const AuditQuery& query, const AuditPage& page);

}  // namespace ingestd
