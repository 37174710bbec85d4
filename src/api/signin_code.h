// One-time sign-in codes (`ingestd signin-code`, POST /api/v1/auth/signin): the caller gets
// a random code, the store only its SHA-256, and the first redemption before the expiry
// uses it up (Store::RedeemSigninCode).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "store/store.h"

namespace ingestd::api {

// Long enough to open a browser and follow the URL; short enough that a code left in a
// terminal's scrollback is soon worthless.
inline constexpr int64_t kDefaultSigninCodeTtlMs = 10 * 60 * 1000;

// Makes a code (256 random bits, base64url: 43 characters), stores its hash for user and
// role, redeemable until now_ms + ttl_ms, and returns the code.
Result<std::string> IssueSigninCode(Store& store, std::string_view user, std::string_view role,
                                    int64_t now_ms, int64_t ttl_ms);

// The code's record when this redemption used it up; nullopt when it is unknown, used or
// expired.
Result<std::optional<SigninCode>> RedeemSigninCode(Store& store, std::string_view code,
                                                   int64_t now_ms);

}  // namespace ingestd::api
