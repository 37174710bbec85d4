// POST /api/v1/auth/signin: trades a one-time sign-in code (signin_code.h) for a session
// token. Open: the code is the credential. The code never reaches a log; an unknown, used
// and expired code get the same answer, so a caller learns nothing about other codes.
#include <nlohmann/json.hpp>

#include "api/errors.h"
#include "api/handlers.h"
#include "api/router.h"
#include "api/signin_code.h"
#include "api/validation.h"
#include "core/clock.h"
#include "core/json_read.h"
#include "core/jwt.h"
#include "core/log.h"

namespace ingestd::api {

ApiResponse HandleSignin(ApiContext& ctx, const ApiRequest& req) {
  using nlohmann::json;
  const std::string& cid = req.correlation_id;
  const json body = json::parse(req.body, nullptr, false);
  if (body.is_discarded() || !body.is_object()) {
    return ErrorResponse(
        Status::InvalidArgument("INVALID_JSON", "body must be a JSON object {\"code\": \"...\"}"),
        cid);
  }
  if (!body.contains("code") || body["code"].is_null()) {
    return ErrorResponse(MissingField("code"), cid);
  }
  auto code = json_read::String(body, "code");
  if (!code) return ErrorResponse(WrongType("code", "a string"), cid);
  const int64_t now_ms = ctx.clock->NowMillis();
  auto redeemed = RedeemSigninCode(*ctx.store, *code, now_ms);
  if (!redeemed.ok()) return ErrorResponse(redeemed.status(), cid);
  if (!redeemed->has_value()) {
    return ErrorResponse(Status::Error(Kind::kUnauthenticated, "SIGNIN_CODE_INVALID",
                                       "this sign-in code is unknown, used or expired; "
                                       "make a new one with `ingestd signin-code`"),
                         cid);
  }
  const SigninCode& signin = **redeemed;
  const SessionToken session = MintSessionToken(signin.user_id, signin.role, now_ms,
                                                kSessionTokenTtlS, ctx.options.jwt_secret);
  log::Info("signed in with a one-time code",
            {{"user_id", signin.user_id}, {"role", signin.role}, {"correlation_id", cid}});
  return JsonResponse(200, {{"token", session.token},
                            {"user_id", signin.user_id},
                            {"role", signin.role},
                            {"expires_at", FormatRfc3339(session.expires_at_s * 1000)}});
}

}  // namespace ingestd::api
