// OpenStore: picks the backend from the URL scheme. A new backend is a new branch here and
// a new folder beside sqlite/.
#include <filesystem>
#include <system_error>

#include "store/postgres/pg_store.h"
#include "store/sqlite/sqlite_store.h"
#include "store/store.h"

namespace ingestd {
namespace {

constexpr std::string_view kSqliteScheme = "sqlite://";
constexpr std::string_view kPostgresSchemes[] = {"postgres://", "postgresql://"};

Result<std::unique_ptr<Store>> OpenSqlite(const std::string& path) {
  if (path.empty()) {
    return Status::InvalidArgument("UNSUPPORTED_DATABASE_URL", "the database path is empty");
  }
  std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(parent, ec);
    if (ec) {
      return Status::Internal("DB_ERROR", "cannot create the database directory: " + ec.message());
    }
  }
  Result<std::unique_ptr<sqlite::SqliteStore>> store = sqlite::SqliteStore::Open(path);
  if (!store.ok()) return store.status();
  return std::unique_ptr<Store>(std::move(*store));
}

}  // namespace

Result<std::unique_ptr<Store>> OpenStore(const std::string& url) {
  std::string_view u = url;
  if (u.starts_with(kSqliteScheme)) {
    // "sqlite:///abs/x.db" keeps its leading '/', "sqlite://rel.db" is relative.
    return OpenSqlite(std::string(u.substr(kSqliteScheme.size())));
  }
  for (std::string_view scheme : kPostgresSchemes) {
    if (u.starts_with(scheme)) {
      Result<std::unique_ptr<pg::PgStore>> store = pg::PgStore::Open(url);
      if (!store.ok()) return store.status();
      return std::unique_ptr<Store>(std::move(*store));
    }
  }
  if (u.find("://") != std::string_view::npos) {
    return Status::InvalidArgument(
        "UNSUPPORTED_DATABASE_URL",
        "unsupported database URL scheme (use sqlite://, postgres:// or postgresql://)");
  }
  return OpenSqlite(url);  // a plain file path
}

}  // namespace ingestd
