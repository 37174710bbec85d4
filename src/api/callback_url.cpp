#include "api/callback_url.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <cstring>

namespace ingestd::api {
namespace {

Status Malformed(const std::string& why) {
  return Status::InvalidArgument("INVALID_FIELD", "callback_url " + why);
}

bool StartsWithNoCase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(s[i])) != prefix[i]) return false;
  }
  return true;
}

bool IsHostNameChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.';
}

// An IPv4 address (host byte order) no callback may reach by default.
bool ForbiddenV4(uint32_t a) {
  auto in = [a](uint32_t net, int bits) {
    return bits == 0 || (a >> (32 - bits)) == (net >> (32 - bits));
  };
  return in(0x00000000, 8) ||   // 0.0.0.0/8: this network, unspecified
         in(0x0A000000, 8) ||   // 10/8 (RFC 1918)
         in(0x64400000, 10) ||  // 100.64/10: shared address space (carrier NAT)
         in(0x7F000000, 8) ||   // loopback
         in(0xA9FE0000, 16) ||  // 169.254/16: link-local (cloud metadata lives here)
         in(0xAC100000, 12) ||  // 172.16/12 (RFC 1918)
         in(0xC0000000, 24) ||  // 192.0.0/24: IETF protocol assignments
         in(0xC0A80000, 16) ||  // 192.168/16 (RFC 1918)
         in(0xC6120000, 15) ||  // 198.18/15: benchmarking
         in(0xE0000000, 4) ||   // multicast
         in(0xF0000000, 4);     // reserved, broadcast
}

uint32_t V4At(const uint8_t* b) {
  return (uint32_t(b[0]) << 24) | (uint32_t(b[1]) << 16) | (uint32_t(b[2]) << 8) | b[3];
}

bool ForbiddenV6(const std::array<uint8_t, 16>& b) {
  static constexpr uint8_t kZero[16] = {};
  if (std::memcmp(b.data(), kZero, 12) == 0) return true;  // ::, ::1, IPv4-compatible
  static constexpr uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (std::memcmp(b.data(), kMapped, 12) == 0) return true;  // IPv4-mapped
  if ((b[0] & 0xfe) == 0xfc) return true;                    // fc00::/7: ULA
  if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) return true;    // fe80::/10: link-local
  if (b[0] == 0xfe && (b[1] & 0xc0) == 0xc0) return true;    // fec0::/10: site-local
  if (b[0] == 0xff) return true;                             // multicast
  static constexpr uint8_t kNat64[12] = {0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0};
  if (std::memcmp(b.data(), kNat64, 12) == 0) return ForbiddenV4(V4At(b.data() + 12));
  if (b[0] == 0x20 && b[1] == 0x02) return ForbiddenV4(V4At(b.data() + 2));  // 6to4
  return false;
}

}  // namespace

std::string CallbackTarget::ResolveEntry() const {
  std::string entry = host + ":" + std::to_string(port) + ":";
  for (size_t i = 0; i < addresses.size(); ++i) {
    if (i > 0) entry += ',';
    // IPv6 addresses go in brackets (curl's CURLOPT_RESOLVE syntax).
    entry += addresses[i].find(':') != std::string::npos ? "[" + addresses[i] + "]" : addresses[i];
  }
  return entry;
}

bool IsForbiddenCallbackAddress(const std::string& address) {
  in_addr v4{};
  if (inet_pton(AF_INET, address.c_str(), &v4) == 1) return ForbiddenV4(ntohl(v4.s_addr));
  std::array<uint8_t, 16> v6{};
  if (inet_pton(AF_INET6, address.c_str(), v6.data()) == 1) return ForbiddenV6(v6);
  return true;
}

Result<CallbackTarget> ParseCallbackUrl(std::string_view url) {
  if (url.size() > kMaxCallbackUrlBytes) {
    return Malformed("is longer than " + std::to_string(kMaxCallbackUrlBytes) + " bytes");
  }
  for (char c : url) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) {
      return Malformed("holds a space or control character");
    }
  }
  int default_port = 0;
  std::string_view rest;
  if (StartsWithNoCase(url, "https://")) {
    default_port = 443;
    rest = url.substr(8);
  } else if (StartsWithNoCase(url, "http://")) {
    default_port = 80;
    rest = url.substr(7);
  } else {
    return Malformed("must be an http or https URL");
  }
  std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
  if (authority.find('@') != std::string_view::npos) return Malformed("must not hold user info");
  CallbackTarget t;
  t.port = default_port;
  std::string_view port_text;
  if (!authority.empty() && authority.front() == '[') {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) return Malformed("has an unclosed IPv6 literal");
    t.host = std::string(authority.substr(1, close - 1));
    std::array<uint8_t, 16> v6{};
    if (inet_pton(AF_INET6, t.host.c_str(), v6.data()) != 1) {
      return Malformed("has an invalid IPv6 literal");
    }
    std::string_view after = authority.substr(close + 1);
    if (!after.empty() && after.front() != ':') return Malformed("has junk after its host");
    if (!after.empty()) port_text = after.substr(1);
    if (!after.empty() && port_text.empty()) return Malformed("has an empty port");
  } else {
    size_t colon = authority.find(':');
    t.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) {
      port_text = authority.substr(colon + 1);
      if (port_text.empty()) return Malformed("has an empty port");
    }
    if (t.host.empty() || t.host.size() > 253 ||
        !std::all_of(t.host.begin(), t.host.end(), IsHostNameChar)) {
      return Malformed("has no valid host");
    }
  }
  if (!port_text.empty()) {
    if (port_text.size() > 5 || !std::all_of(port_text.begin(), port_text.end(), [](char c) {
          return std::isdigit(static_cast<unsigned char>(c));
        })) {
      return Malformed("has an invalid port");
    }
    t.port = std::stoi(std::string(port_text));
    if (t.port < 1 || t.port > 65535) return Malformed("has an invalid port");
  }
  return t;
}

Result<CallbackTarget> ResolveCallbackUrl(std::string_view url, const CallbackUrlPolicy& policy) {
  Result<CallbackTarget> parsed = ParseCallbackUrl(url);
  if (!parsed.ok()) return parsed;
  CallbackTarget t = std::move(*parsed);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const int rc = getaddrinfo(t.host.c_str(), nullptr, &hints, &found);
  if (rc == EAI_NONAME) return Malformed("names a host that does not exist");
  if (rc != 0) {
    return Status::Unavailable(
        "CALLBACK_URL_UNRESOLVED",
        "the host of callback_url could not be resolved now: " + std::string(gai_strerror(rc)));
  }
  for (addrinfo* a = found; a != nullptr; a = a->ai_next) {
    if (a->ai_family != AF_INET && a->ai_family != AF_INET6) continue;
    char text[INET6_ADDRSTRLEN] = {};
    const void* addr =
        a->ai_family == AF_INET
            ? static_cast<const void*>(&reinterpret_cast<sockaddr_in*>(a->ai_addr)->sin_addr)
            : static_cast<const void*>(&reinterpret_cast<sockaddr_in6*>(a->ai_addr)->sin6_addr);
    if (inet_ntop(a->ai_family, addr, text, sizeof text) == nullptr) continue;
    if (std::find(t.addresses.begin(), t.addresses.end(), text) == t.addresses.end()) {
      t.addresses.emplace_back(text);
    }
  }
  freeaddrinfo(found);
  if (t.addresses.empty()) return Malformed("names a host without addresses");
  if (!policy.allow_private) {
    for (const std::string& a : t.addresses) {
      if (IsForbiddenCallbackAddress(a)) {
        return Status::InvalidArgument(
            "CALLBACK_URL_FORBIDDEN",
            "callback_url resolves to " + a +
                ", a loopback, link-local or private address (INGESTD_CALLBACK_ALLOW_PRIVATE=1 "
                "allows them)");
      }
    }
  }
  return t;
}

}  // namespace ingestd::api
