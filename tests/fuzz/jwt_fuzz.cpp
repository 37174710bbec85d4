// VerifyJwt on any bytes as the bearer token: never throws, OK only with a non-empty sub.
// An input "sign:<header JSON>.<payload JSON>" is encoded and signed with the server's
// secret first, so the claims a correctly signed token carries are fuzzed too (mutation
// alone cannot forge the HMAC).
#include "core/crypto.h"
#include "core/jwt.h"
#include "fuzz_target.h"

INGESTD_FUZZ_TARGET(jwt) {
  constexpr std::string_view kSecret = "fuzz-jwt-secret";
  std::string_view in = ingestd::fuzz::AsText(data, size);
  std::string token(in);
  if (in.starts_with("sign:")) {
    auto [header, payload] = ingestd::fuzz::SplitAt(in.substr(5), '.');
    const std::string input =
        ingestd::Base64UrlEncode(header) + "." + ingestd::Base64UrlEncode(payload);
    token = input + "." + ingestd::Base64UrlEncode(ingestd::HmacSha256(kSecret, input));
  }
  auto claims = ingestd::VerifyJwt(token, kSecret, 1'700'000'000);
  if (claims.ok() && claims->sub.empty()) __builtin_trap();
  return 0;
}
