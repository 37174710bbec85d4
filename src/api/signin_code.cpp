#include "api/signin_code.h"

#include "core/crypto.h"

namespace ingestd::api {

Result<std::string> IssueSigninCode(Store& store, std::string_view user, std::string_view role,
                                    int64_t now_ms, int64_t ttl_ms) {
  std::string code = Base64UrlEncode(RandomBytes(32));
  Status s = store.CreateSigninCode({.code_hash = Sha256Hex(code),
                                     .user_id = std::string(user),
                                     .role = std::string(role),
                                     .created_at_ms = now_ms,
                                     .expires_at_ms = now_ms + ttl_ms});
  if (!s.ok()) return s;
  return code;
}

Result<std::optional<SigninCode>> RedeemSigninCode(Store& store, std::string_view code,
                                                   int64_t now_ms) {
  return store.RedeemSigninCode(Sha256Hex(code), now_ms);
}

}  // namespace ingestd::api
