#include "api/upload_token.h"

#include <charconv>
#include <vector>

#include "core/crypto.h"
#include "core/ids.h"

namespace ingestd::api {
namespace {

constexpr std::string_view kVersion = "u1";

Status Invalid() {
  return Status::Error(Kind::kPermissionDenied, "UPLOAD_TOKEN_INVALID",
                       "upload URL is invalid");
}

std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  for (size_t i = 0; i <= s.size(); ++i) {
    if (i == s.size() || s[i] == sep) {
      parts.push_back(s.substr(start, i - start));
      start = i + 1;
    }
  }
  return parts;
}

bool ParseInt(std::string_view s, int64_t* out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && p == s.data() + s.size();
}

}  // namespace

std::string SignUploadToken(const UploadGrant& g, std::string_view secret) {
  std::string payload = std::string(kVersion) + "|" + g.job_id + "|" + g.document_id + "|" +
                        std::to_string(g.size_bytes) + "|" + g.sha256 + "|" +
                        std::to_string(g.expires_at_s);
  return Base64UrlEncode(payload) + "." + Base64UrlEncode(HmacSha256(secret, payload));
}

Result<UploadGrant> VerifyUploadToken(std::string_view token, std::string_view secret,
                                      int64_t now_s) {
  size_t dot = token.find('.');
  if (dot == std::string_view::npos) return Invalid();
  auto payload = Base64UrlDecode(token.substr(0, dot));
  auto mac = Base64UrlDecode(token.substr(dot + 1));
  if (!payload || !mac) return Invalid();
  // Verify the MAC before looking at any field.
  if (!ConstantTimeEquals(*mac, HmacSha256(secret, *payload))) return Invalid();
  auto parts = Split(*payload, '|');
  UploadGrant g;
  if (parts.size() != 6 || parts[0] != kVersion || !IsUuid(parts[1]) || !IsUuid(parts[2]) ||
      !ParseInt(parts[3], &g.size_bytes) || !ParseInt(parts[5], &g.expires_at_s)) {
    return Invalid();
  }
  g.job_id = std::string(parts[1]);
  g.document_id = std::string(parts[2]);
  g.sha256 = std::string(parts[4]);
  if (now_s >= g.expires_at_s) {
    return Status::Error(Kind::kPermissionDenied, "UPLOAD_TOKEN_EXPIRED",
                         "upload URL has expired; request a new one");
  }
  return g;
}

}  // namespace ingestd::api
