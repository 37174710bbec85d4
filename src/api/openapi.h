// The OpenAPI 3.1 document of every route (src/api/openapi.json, checked in), embedded into
// the binary at build time by tools/embed_assets.js and served as GET /api/v1/openapi.json.
// openapi_test.cpp holds it to the route table, tests/openapi validates it and real responses
// against it.
#pragma once

#include <span>

#include "api/static_assets.h"

namespace ingestd::api {

// One asset, "openapi.json" (generated openapi_document.cpp).
std::span<const StaticAsset> OpenApiAssets();

}  // namespace ingestd::api
