// The dashboard: a single-page app (src/api/dashboard/) that uses the public API with the
// user's token. Its files and uPlot (npm, from node_modules) are embedded into the binary at
// build time by tools/embed_assets.js, which generates DashboardAssets().
#pragma once

#include <span>
#include <string_view>

#include "api/exchange.h"

namespace ingestd::api {

struct StaticAsset {
  std::string_view name;  // e.g. "app.js": served as /assets/app.js (index.html also as /)
  std::string_view content_type;
  std::string_view etag;  // quoted strong validator: a SHA-256 prefix of the body
  std::string_view body;
};

// Every embedded file (generated dashboard_assets.cpp).
std::span<const StaticAsset> DashboardAssets();

// The asset named name as a response: its Content-Type, ETag, `Cache-Control: no-cache` (a
// browser revalidates, so a new build is seen at once) and the Content-Security-Policy the
// page runs under; 304 with no body when if_none_match names its ETag. 404 ASSET_NOT_FOUND
// when no asset has that name.
ApiResponse AssetResponse(std::string_view name, std::string_view if_none_match,
                          const std::string& correlation_id);

}  // namespace ingestd::api
