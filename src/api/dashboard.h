// The dashboard: one static page that uses the public API with the user's token.
#pragma once

#include <string_view>

namespace ingestd::api {

extern const std::string_view kDashboardHtml;

}  // namespace ingestd::api
