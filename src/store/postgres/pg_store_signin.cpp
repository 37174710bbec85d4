// PgStore: one-time sign-in codes (store.h CreateSigninCode, RedeemSigninCode). The
// redemption is one UPDATE: a concurrent one waits on the row lock, then re-checks
// used_at IS NULL against the committed row (READ COMMITTED) and matches nothing.
#include "store/postgres/pg_rows.h"
#include "store/postgres/pg_store.h"
#include "store/store_codes.h"

namespace ingestd::pg {
namespace {

constexpr char kDropExpiredSigninCodes[] =
    "DELETE FROM signin_codes WHERE expires_at <= $1::bigint";
constexpr char kInsertSigninCode[] =
    "INSERT INTO signin_codes (code_hash, user_id, role, created_at, expires_at)"
    " VALUES ($1, $2, $3, $4::bigint, $5::bigint) ON CONFLICT (code_hash) DO NOTHING";
constexpr char kRedeemSigninCode[] =
    "UPDATE signin_codes SET used_at = $2::bigint WHERE code_hash = $1 AND used_at IS NULL"
    " AND expires_at > $2::bigint RETURNING code_hash, user_id, role, created_at, expires_at";

Result<SigninCode> ReadSigninCode(const PgRow& r) {
  return SigninCode{.code_hash = r.Text(0),
                    .user_id = r.Text(1),
                    .role = r.Text(2),
                    .created_at_ms = r.Int(3),
                    .expires_at_ms = r.Int(4)};
}

}  // namespace

Status PgStore::CreateSigninCode(const SigninCode& c) {
  if (c.code_hash.empty() || c.user_id.empty()) {
    return store_codes::InvalidRecord("a sign-in code needs a hash and a user");
  }
  return pool_.Transaction([&](PgConn& conn) -> Status {
    Status s = Run(conn, kDropExpiredSigninCodes, PgParams().Add(c.created_at_ms));
    if (!s.ok()) return s;
    Result<int64_t> inserted = Execute(conn, kInsertSigninCode,
                                       PgParams()
                                           .Add(c.code_hash)
                                           .Add(c.user_id)
                                           .Add(c.role)
                                           .Add(c.created_at_ms)
                                           .Add(c.expires_at_ms));
    if (!inserted.ok()) return inserted.status();
    return *inserted == 1 ? Status() : store_codes::SigninCodeExists();
  });
}

Result<std::optional<SigninCode>> PgStore::RedeemSigninCode(std::string_view code_hash,
                                                            int64_t now_ms) {
  // Not Autocommit, whose rerun on a dead connection could follow a redemption that
  // committed with its reply lost, and refuse the caller it was for. In a transaction a
  // failure before COMMIT rolled it back, so running it again is safe.
  return pool_.Transaction([&](PgConn& conn) {
    return QueryOne<SigninCode>(conn, kRedeemSigninCode, PgParams().Add(code_hash).Add(now_ms),
                                ReadSigninCode);
  });
}

}  // namespace ingestd::pg
