// The `include=vectors` option of chunk listings (GET /api/v1/documents/{id}/chunks,
// GET /api/v1/export): which vectors to add, read from the store a page at a time.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "api/exchange.h"
#include "core/status.h"
#include "store/store.h"

namespace ingestd::api {

// True for include=vectors, false when include is absent or empty; anything else is 400
// INVALID_FIELD.
Result<bool> IncludeVectors(const ApiRequest& req);

// chunk id → [VectorJson…] of the user's chunks among chunk_ids (only `model`'s unless it is
// empty), in model order; chunks without such a vector are absent.
Result<std::map<std::string, nlohmann::json>> VectorsByChunk(
    Store& store, std::string_view user_id, const std::vector<std::string>& chunk_ids,
    const std::string& model = "");

}  // namespace ingestd::api
