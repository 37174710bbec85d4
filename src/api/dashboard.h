// The dashboard: a single-page app (src/api/dashboard/) that uses the public API with the
// user's token. Its files and uPlot (npm, from node_modules) are embedded into the binary at
// build time by tools/embed_assets.js, which generates DashboardAssets().
#pragma once

#include <span>

#include "api/static_assets.h"

namespace ingestd::api {

// Every embedded file, served as /assets/<name> (index.html also as /) (generated
// dashboard_assets.cpp).
std::span<const StaticAsset> DashboardAssets();

}  // namespace ingestd::api
