// SqliteStore: one-time sign-in codes (store.h CreateSigninCode, RedeemSigninCode). The
// redemption is one UPDATE whose WHERE only an unused, unexpired code passes, so of two
// redemptions (one writer at a time holds the file) the second finds used_at set.
#include "store/signin_codec.h"
#include "store/sqlite/sqlite_query.h"
#include "store/sqlite/sqlite_store.h"
#include "store/store_codes.h"

namespace ingestd::sqlite {
namespace {

constexpr char kDropExpiredSigninCodes[] = "DELETE FROM signin_codes WHERE expires_at <= ?1";
constexpr char kInsertSigninCode[] =
    "INSERT INTO signin_codes (" INGESTD_SIGNIN_COLUMNS
    ") VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (code_hash) DO NOTHING";
constexpr char kRedeemSigninCode[] =
    "UPDATE signin_codes SET used_at = ?2 WHERE code_hash = ?1 AND used_at IS NULL"
    " AND expires_at > ?2 RETURNING " INGESTD_SIGNIN_COLUMNS;

Result<SigninCode> ReadSigninCode(const Stmt& r) { return signin_codec::ReadSigninCode(r); }

}  // namespace

Status SqliteStore::CreateSigninCode(const SigninCode& c) {
  if (Status s = signin_codec::Check(c); !s.ok()) return s;
  return Write([&](SqliteConn& conn) -> Status {
    Status s = Run(conn, kDropExpiredSigninCodes, [&](Stmt& st) { st.Bind(1, c.created_at_ms); });
    if (!s.ok()) return s;
    Result<int64_t> inserted = Execute(conn, kInsertSigninCode, [&](Stmt& st) {
      st.Bind(1, c.code_hash)
          .Bind(2, c.user_id)
          .Bind(3, c.role)
          .Bind(4, c.created_at_ms)
          .Bind(5, c.expires_at_ms);
    });
    if (!inserted.ok()) return inserted.status();
    return *inserted == 1 ? Status() : store_codes::SigninCodeExists();
  });
}

Result<std::optional<SigninCode>> SqliteStore::RedeemSigninCode(std::string_view code_hash,
                                                                int64_t now_ms) {
  return Write([&](SqliteConn& conn) {
    return QueryOne<SigninCode>(
        conn, kRedeemSigninCode, [&](Stmt& st) { st.Bind(1, code_hash).Bind(2, now_ms); },
        ReadSigninCode);
  });
}

}  // namespace ingestd::sqlite
