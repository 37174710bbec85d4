// VerifyUploadToken on any bytes as the {token} of PUT /api/v1/blobs/{token}. An input
// "sign:<payload>" is signed with the server's secret first, so the fields of a correctly
// signed token are fuzzed too (mutation alone cannot forge the HMAC).
#include "api/upload_token.h"
#include "core/crypto.h"
#include "fuzz_target.h"

INGESTD_FUZZ_TARGET(upload_token) {
  constexpr std::string_view kSecret = "fuzz-upload-secret";
  constexpr int64_t kNow = 1'700'000'000;
  std::string_view in = ingestd::fuzz::AsText(data, size);
  std::string token(in);
  if (in.starts_with("sign:")) {
    const std::string_view payload = in.substr(5);
    token = ingestd::Base64UrlEncode(payload) + "." +
            ingestd::Base64UrlEncode(ingestd::HmacSha256(kSecret, payload));
  }
  auto grant = ingestd::api::VerifyUploadToken(token, kSecret, kNow);
  if (grant.ok() && grant->expires_at_s <= kNow) __builtin_trap();  // expired yet accepted
  return 0;
}
