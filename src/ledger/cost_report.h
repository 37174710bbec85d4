// The costs view shared by `GET /api/v1/costs` and `ingestd costs`: query parsing and the
// JSON shape (spend per group, open reservations, limits and what remains of them).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/status.h"
#include "ledger/ledger.h"

namespace ingestd {

// from/to: epoch milliseconds, "YYYY-MM-DD" or "YYYY-MM-DDTHH:MM:SSZ" (UTC); empty from is
// the start of today (UTC), empty to is now. group_by defaults to "service". Malformed
// values → kInvalidArgument "COST_QUERY_INVALID".
Result<CostQuery> MakeCostQuery(const std::string& from, const std::string& to,
                                const std::string& group_by, int64_t now_ms);

// USD amounts as decimal numbers; windows with limit, spent, reserved and remaining.
nlohmann::json CostsJson(const CostQuery& query, const CostReport& report,
                         const std::vector<WindowState>& windows);

}  // namespace ingestd
