// One-time sign-in codes (store.h SigninCode): what both backends share — the check of a new
// code and the row mapping of the redemption's RETURNING list.
#pragma once

#include "store/store.h"
#include "store/store_codes.h"

namespace ingestd::signin_codec {

// The columns of a code, in this order: both backends insert them and redemptions return them.
#define INGESTD_SIGNIN_COLUMNS "code_hash, user_id, role, created_at, expires_at"

inline Status Check(const SigninCode& c) {
  if (c.code_hash.empty() || c.user_id.empty()) {
    return store_codes::InvalidRecord("a sign-in code needs a hash and a user");
  }
  return Status();
}

// Row: a SQLite Stmt or a PostgreSQL PgRow (Int, Text).
template <typename Row>
Result<SigninCode> ReadSigninCode(const Row& r) {
  return SigninCode{.code_hash = r.Text(0),
                    .user_id = r.Text(1),
                    .role = r.Text(2),
                    .created_at_ms = r.Int(3),
                    .expires_at_ms = r.Int(4)};
}

}  // namespace ingestd::signin_codec
