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

// Checks structure, algorithm (HS256 only: "none" and others are refused), signature in
// constant time, a non-empty `sub`, and `exp` > now. Errors are kUnauthenticated.
Result<JwtClaims> VerifyJwt(std::string_view token, std::string_view secret, int64_t now_seconds);

}  // namespace ingestd
