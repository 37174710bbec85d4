#include "store/postgres/pg_store.h"

namespace ingestd::pg {
namespace {
Status Todo() { return Status::Internal("DB_ERROR", "retrieval: not yet on PostgreSQL"); }
}  // namespace
Result<std::vector<KeywordHit>> PgStore::KeywordSearch(std::string_view, std::string_view,
                                                       const SearchFilter&, int) {
  return Todo();
}
Result<std::vector<ChunkView>> PgStore::GetChunkViews(std::string_view,
                                                      const std::vector<std::string>&) {
  return Todo();
}
Result<std::vector<std::string>> PgStore::ListDocumentIds(std::string_view, const SearchFilter&) {
  return Todo();
}
Result<std::vector<VectorChange>> PgStore::ListVectorChanges(int64_t, int) { return Todo(); }
Result<std::vector<ChunkChange>> PgStore::ListChunkChanges(std::string_view, int64_t, int) {
  return Todo();
}
}  // namespace ingestd::pg
