// Files embedded into the binary at build time by tools/embed_assets.js (the dashboard's,
// the OpenAPI document), and how one is served.
#pragma once

#include <span>
#include <string_view>

#include "api/exchange.h"

namespace ingestd::api {

struct StaticAsset {
  std::string_view name;  // e.g. "app.js"
  std::string_view content_type;
  std::string_view etag;  // quoted strong validator: a SHA-256 prefix of the body
  std::string_view body;
};

// The asset of assets named name as a response: its Content-Type, ETag, `Cache-Control:
// no-cache` (a client revalidates, so a new build is seen at once) and the dashboard's
// Content-Security-Policy; 304 with no body when if_none_match names its ETag. 404
// ASSET_NOT_FOUND when no asset has that name.
ApiResponse AssetResponse(std::span<const StaticAsset> assets, std::string_view name,
                          std::string_view if_none_match, const std::string& correlation_id);

}  // namespace ingestd::api
