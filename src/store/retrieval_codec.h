// Rows of the retrieval reads (sqlite_sql.h, pg_sql.h: the same columns in both) → the
// structs of Store::GetChunkViews and ListChunkChanges, and the filter values both bind;
// shared by the backends like record_codec.h.
#pragma once

#include <algorithm>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "store/record_codec.h"
#include "store/store.h"
#include "store/summary_codec.h"

namespace ingestd::record {

// Limits of the retrieval reads.
inline int ClampSearchLimit(int limit) { return std::clamp(limit, 0, 1000); }
inline int ClampChangeLimit(int limit) { return std::clamp(limit, 0, 10'000); }

// What a SearchFilter binds, in this order: the document ids as a JSON array (NULL when
// unset), the filename prefix ('' matches all), uploaded after and before (NULL when unset).
struct SearchFilterArgs {
  std::optional<std::string> document_ids;
  std::string filename_prefix;
  std::optional<int64_t> after_ms, before_ms;
};
inline SearchFilterArgs FilterArgs(const SearchFilter& f) {
  SearchFilterArgs a;
  if (!f.document_ids.empty()) a.document_ids = DumpJson(f.document_ids);
  a.filename_prefix = f.filename_prefix;
  a.after_ms = f.uploaded_after_ms;
  a.before_ms = f.uploaded_before_ms;
  return a;
}

// Chunk columns 0-9, the document's filename 10 and created_at 11.
template <typename Row>
Result<ChunkView> ReadChunkView(const Row& s) {
  Result<Chunk> chunk = ReadChunk(s);
  if (!chunk.ok()) return chunk.status();
  return ChunkView{std::move(*chunk), s.Text(10), s.Int(11)};
}

// seq 0, user 1, chunk id 2, deleted (0/1) 3, then a ChunkView's columns from 4 (NULL for
// a deletion).
template <typename Row>
Result<ChunkChange> ReadChunkChange(const Row& s) {
  constexpr int kViewColumn = 4;
  ChunkChange out;
  out.seq = s.Int(0);
  out.user_id = s.Text(1);
  out.chunk_id = s.Text(2);
  if (s.Int(3) == 0) {
    Result<ChunkView> view = ReadChunkView(ShiftedRow<Row>{s, kViewColumn});
    if (!view.ok()) return view.status();
    out.chunk = std::move(*view);
  }
  return out;
}

// The views of GetChunkViews in the order asked: each id once, those not found skipped.
inline std::vector<ChunkView> InAskedOrder(std::vector<ChunkView> found,
                                           const std::vector<std::string>& asked) {
  std::unordered_map<std::string, size_t> at;
  for (size_t i = 0; i < found.size(); ++i) at.emplace(found[i].chunk.id, i);
  std::vector<ChunkView> out;
  out.reserve(found.size());
  for (const std::string& id : asked) {
    auto it = at.find(id);
    if (it == at.end()) continue;
    out.push_back(std::move(found[it->second]));
    at.erase(it);
  }
  return out;
}

}  // namespace ingestd::record
