#include "core/jwt.h"

#include <nlohmann/json.hpp>

#include "core/crypto.h"

namespace ingestd {
namespace {

Status Unauthenticated(std::string code, std::string msg) {
  return Status::Error(Kind::kUnauthenticated, std::move(code), std::move(msg));
}

}  // namespace

std::string SignJwt(const JwtClaims& claims, std::string_view secret) {
  nlohmann::json header = {{"alg", "HS256"}, {"typ", "JWT"}};
  nlohmann::json payload = {{"sub", claims.sub}, {"role", claims.role}, {"exp", claims.exp}};
  std::string signing_input =
      Base64UrlEncode(header.dump()) + "." + Base64UrlEncode(payload.dump());
  return signing_input + "." + Base64UrlEncode(HmacSha256(secret, signing_input));
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
  if (header.value("alg", "") != "HS256") {
    return Unauthenticated("TOKEN_ALGORITHM", "only HS256 tokens are accepted");
  }
  if (!ConstantTimeEquals(*sig, HmacSha256(secret, signing_input))) {
    return Unauthenticated("TOKEN_SIGNATURE", "bearer token signature is invalid");
  }
  JwtClaims claims;
  auto sub = payload.find("sub");
  auto exp = payload.find("exp");
  if (sub == payload.end() || !sub->is_string() || sub->get<std::string>().empty()) {
    return Unauthenticated("TOKEN_CLAIMS", "bearer token has no subject");
  }
  if (exp == payload.end() || !exp->is_number()) {
    return Unauthenticated("TOKEN_CLAIMS", "bearer token has no expiry");
  }
  claims.sub = sub->get<std::string>();
  claims.exp = exp->get<int64_t>();
  if (auto role = payload.find("role"); role != payload.end() && role->is_string()) {
    claims.role = role->get<std::string>();
  }
  if (claims.exp <= now_seconds) {
    return Unauthenticated("TOKEN_EXPIRED", "bearer token has expired");
  }
  return claims;
}

}  // namespace ingestd
