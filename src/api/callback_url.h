// Completion-callback URLs (issue 13 §4): what an upload's callback_url may name. Checked
// when the upload is accepted and again before every delivery attempt, since the name may
// point elsewhere by then; the attempt then connects to the addresses checked (pinned,
// http::HttpRequest::resolve), never to a fresh resolution.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace ingestd::api {

inline constexpr size_t kMaxCallbackUrlBytes = 2048;

struct CallbackUrlPolicy {
  // INGESTD_CALLBACK_ALLOW_PRIVATE=1: loopback, link-local and private targets allowed.
  bool allow_private = false;
};

struct CallbackTarget {
  std::string host;                    // as written (IPv6 without brackets)
  int port = 0;                        // the URL's, else 80 / 443
  std::vector<std::string> addresses;  // every address the host resolved to, checked
  // The CURLOPT_RESOLVE entry pinning host:port to addresses.
  std::string ResolveEntry() const;
};

// Parses the URL: http or https (any case), a host name or IP literal, an optional port
// 1-65535, no user info, no spaces or control characters, at most kMaxCallbackUrlBytes.
// Anything else → 400 INVALID_FIELD naming callback_url. Addresses are left empty.
Result<CallbackTarget> ParseCallbackUrl(std::string_view url);

// ParseCallbackUrl, then resolves the host (an IP literal stands for itself) and checks
// every address it resolves to: one loopback, link-local, private (RFC 1918, shared
// 100.64/10, ULA), unspecified (0.0.0.0/8, ::), multicast, reserved, IPv4-mapped or
// IPv4-compatible IPv6 address, or one whose embedded IPv4 (NAT64, 6to4) is such,
// → 400 CALLBACK_URL_FORBIDDEN unless policy.allow_private. A name that does not exist →
// 400 INVALID_FIELD; a resolver failure → 503 CALLBACK_URL_UNRESOLVED (retryable).
Result<CallbackTarget> ResolveCallbackUrl(std::string_view url, const CallbackUrlPolicy& policy);

// Whether a textual IPv4 or IPv6 address is one no callback may reach by default (the
// ranges above). Text that is no address is forbidden too.
bool IsForbiddenCallbackAddress(const std::string& address);

}  // namespace ingestd::api
