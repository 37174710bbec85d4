#include "core/jwt.h"

#include <cmath>
#include <optional>

#include <nlohmann/json.hpp>

#include "core/crypto.h"
#include "core/json_read.h"

namespace ingestd {
namespace {

Status Unauthenticated(std::string code, std::string msg) {
  return Status::Error(Kind::kUnauthenticated, std::move(code), std::move(msg));
}

Status Malformed(std::string_view field) {
  return Unauthenticated("TOKEN_MALFORMED",
                         "bearer token field '" + std::string(field) + "' has the wrong type");
}

// Absent, or present as a string.
bool OptionalString(const nlohmann::json& object, const char* field) {
  return !object.contains(field) || json_read::String(object, field).has_value();
}

// `exp` is a NumericDate: absent (nullopt inside), or a number that fits int64 seconds.
// nullopt outside: present with another type, or out of range (a float cast would be UB).
std::optional<std::optional<int64_t>> ExpirySeconds(const nlohmann::json& payload) {
  if (!payload.contains("exp")) return std::optional<int64_t>();
  if (auto seconds = json_read::Int(payload, "exp")) return *seconds;
  if (auto seconds = json_read::Number(payload, "exp"); seconds && std::fabs(*seconds) < 9.0e18) {
    return static_cast<int64_t>(*seconds);
  }
  return std::nullopt;
}

}  // namespace

std::string SignJwt(const JwtClaims& claims, std::string_view secret) {
  nlohmann::json header = {{"alg", "HS256"}, {"typ", "JWT"}};
  nlohmann::json payload = {{"sub", claims.sub}, {"role", claims.role}, {"exp", claims.exp}};
  std::string signing_input =
      Base64UrlEncode(header.dump()) + "." + Base64UrlEncode(payload.dump());
  return signing_input + "." + Base64UrlEncode(HmacSha256(secret, signing_input));
}

SessionToken MintSessionToken(std::string_view user, std::string_view role, int64_t now_ms,
                              int64_t ttl_s, std::string_view secret) {
  const int64_t exp = now_ms / 1000 + ttl_s;
  return {SignJwt({.sub = std::string(user), .role = std::string(role), .exp = exp}, secret), exp};
}

Result<JwtClaims> VerifyJwt(std::string_view token, std::string_view secret, int64_t now_seconds) {
  size_t d1 = token.find('.');
  size_t d2 = d1 == std::string_view::npos ? d1 : token.find('.', d1 + 1);
  if (d2 == std::string_view::npos || token.find('.', d2 + 1) != std::string_view::npos) {
    return Unauthenticated("TOKEN_MALFORMED", "bearer token is not a JWT");
  }
  std::string_view signing_input = token.substr(0, d2);
  auto header_raw = Base64UrlDecode(token.substr(0, d1));
  auto payload_raw = Base64UrlDecode(token.substr(d1 + 1, d2 - d1 - 1));
  auto sig = Base64UrlDecode(token.substr(d2 + 1));
  if (!header_raw || !payload_raw || !sig) {
    return Unauthenticated("TOKEN_MALFORMED", "bearer token is not valid base64url");
  }
  auto header = nlohmann::json::parse(*header_raw, nullptr, false);
  auto payload = nlohmann::json::parse(*payload_raw, nullptr, false);
  if (!header.is_object() || !payload.is_object()) {
    return Unauthenticated("TOKEN_MALFORMED", "bearer token parts are not JSON objects");
  }
  // The parts come from an anonymous caller: every field's type is checked before it is read
  // (a typed read of a wrong type throws, and this runs on the server's I/O thread).
  for (const char* field : {"alg", "typ", "kid"}) {
    if (!OptionalString(header, field)) return Malformed(field);
  }
  for (const char* field : {"sub", "role"}) {
    if (!OptionalString(payload, field)) return Malformed(field);
  }
  auto exp_seconds = ExpirySeconds(payload);
  if (!exp_seconds) return Malformed("exp");
  auto alg = header.find("alg");
  if (alg == header.end() || alg->get_ref<const std::string&>() != "HS256") {
    return Unauthenticated("TOKEN_ALGORITHM", "only HS256 tokens are accepted");
  }
  if (!ConstantTimeEquals(*sig, HmacSha256(secret, signing_input))) {
    return Unauthenticated("TOKEN_SIGNATURE", "bearer token signature is invalid");
  }
  JwtClaims claims;
  auto sub = payload.find("sub");
  if (sub == payload.end() || sub->get_ref<const std::string&>().empty()) {
    return Unauthenticated("TOKEN_CLAIMS", "bearer token has no subject");
  }
  if (!exp_seconds->has_value()) {
    return Unauthenticated("TOKEN_CLAIMS", "bearer token has no expiry");
  }
  claims.sub = sub->get<std::string>();
  claims.exp = **exp_seconds;
  if (auto role = payload.find("role"); role != payload.end()) {
    claims.role = role->get<std::string>();
  }
  if (claims.exp <= now_seconds) {
    return Unauthenticated("TOKEN_EXPIRED", "bearer token has expired");
  }
  return claims;
}

}  // namespace ingestd
