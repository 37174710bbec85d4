// PgStore: one-time sign-in codes (store.h CreateSigninCode, RedeemSigninCode). The
// redemption is one UPDATE: a concurrent one waits on the row lock, then re-checks
// used_at IS NULL against the committed row (READ COMMITTED) and matches nothing.
#include "store/postgres/pg_rows.h"
#include "store/postgres/pg_store.h"
#include "store/signin_codec.h"
#include "store/store_codes.h"

namespace ingestd::pg {
namespace {

constexpr char kDropExpiredSigninCodes[] =
    "DELETE FROM signin_codes WHERE expires_at <= $1::bigint";
constexpr char kInsertSigninCode[] =
    "INSERT INTO signin_codes (" INGESTD_SIGNIN_COLUMNS
    ") VALUES ($1, $2, $3, $4::bigint, $5::bigint) ON CONFLICT (code_hash) DO NOTHING";
constexpr char kRedeemSigninCode[] =
    "UPDATE signin_codes SET used_at = $2::bigint WHERE code_hash = $1 AND used_at IS NULL"
    " AND expires_at > $2::bigint RETURNING " INGESTD_SIGNIN_COLUMNS;

Result<SigninCode> ReadSigninCode(const PgRow& r) { return signin_codec::ReadSigninCode(r); }

}  // namespace

Status PgStore::CreateSigninCode(const SigninCode& c) {
  if (Status s = signin_codec::Check(c); !s.ok()) return s;
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
