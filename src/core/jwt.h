// HS256 JSON Web Tokens: the bearer credentials of the API.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"

namespace ingestd {

struct JwtClaims {
  std::string sub;            // user id
  std::string role = "user";  // "user" or "admin"
  int64_t exp = 0;            // seconds since the epoch
};

std::string SignJwt(const JwtClaims& claims, std::string_view secret);

// How long a session token lives unless told otherwise (`ingestd token`, a sign-in).
inline constexpr int64_t kSessionTokenTtlS = 7 * 24 * 3600;

struct SessionToken {
  std::string token;
  int64_t expires_at_s = 0;
};
// The bearer token of a session of user with role, valid ttl_s from now_ms: what
// `ingestd token` prints and POST /api/v1/auth/signin answers with.
SessionToken MintSessionToken(std::string_view user, std::string_view role, int64_t now_ms,
                              int64_t ttl_s, std::string_view secret);

// Checks structure, algorithm (HS256 only: "none" and others are refused), signature in
// constant time, a non-empty `sub`, and `exp` > now. Errors are kUnauthenticated.
Result<JwtClaims> VerifyJwt(std::string_view token, std::string_view secret, int64_t now_seconds);

}  // namespace ingestd
