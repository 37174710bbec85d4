// The one place that maps a Status to an HTTP status and the error body
// {"error":{"code","message","correlation_id"}}.
#pragma once

#include <string>

#include "api/exchange.h"
#include "core/status.h"

namespace ingestd::api {

int HttpStatusFor(Kind kind);
ApiResponse ErrorResponse(const Status& status, const std::string& correlation_id);

}  // namespace ingestd::api
