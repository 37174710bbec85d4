#include "api/static_assets.h"

#include <algorithm>

#include "api/errors.h"

namespace ingestd::api {
namespace {

// The dashboard's policy (the other assets are data): only the app's own files; no inline script or
// style, no frames, no plug-ins, no forms posted elsewhere. uPlot styles its elements through the
// CSSOM, which style-src allows.
constexpr char kContentSecurityPolicy[] =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

// If-None-Match is "*" or a comma-separated list of entity tags (RFC 9110 §13.1.2).
bool Matches(std::string_view if_none_match, std::string_view etag) {
  if (if_none_match == "*") return true;
  while (!if_none_match.empty()) {
    size_t comma = if_none_match.find(',');
    std::string_view tag = if_none_match.substr(0, comma);
    while (!tag.empty() && tag.front() == ' ') tag.remove_prefix(1);
    while (!tag.empty() && tag.back() == ' ') tag.remove_suffix(1);
    if (tag.starts_with("W/")) tag.remove_prefix(2);  // weak comparison
    if (tag == etag) return true;
    if (comma == std::string_view::npos) break;
    if_none_match.remove_prefix(comma + 1);
  }
  return false;
}

}  // namespace

ApiResponse AssetResponse(std::span<const StaticAsset> assets, std::string_view name,
                          std::string_view if_none_match, const std::string& correlation_id) {
  auto it = std::find_if(assets.begin(), assets.end(),
                         [&](const StaticAsset& a) { return a.name == name; });
  if (it == assets.end()) {
    return ErrorResponse(Status::NotFound("ASSET_NOT_FOUND", "no such file"), correlation_id);
  }
  ApiResponse r;
  r.content_type = std::string(it->content_type);
  r.headers = {{"ETag", std::string(it->etag)},
               {"Cache-Control", "no-cache"},
               {"Content-Security-Policy", kContentSecurityPolicy},
               {"X-Content-Type-Options", "nosniff"},
               {"Referrer-Policy", "no-referrer"}};
  if (Matches(if_none_match, it->etag)) {
    r.status = 304;
  } else {
    r.body = std::string(it->body);
  }
  return r;
}

}  // namespace ingestd::api
