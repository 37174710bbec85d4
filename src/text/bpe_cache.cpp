#include "text/bpe_cache.h"

#include <cstring>
#include <memory>

#include "text/bpe.h"

namespace ingestd {
namespace {

constexpr size_t kMaxBytes = 24;  // longer pieces are rare and not worth the memory
constexpr size_t kMaxIds = 6;
constexpr size_t kEntries = 8192;  // direct-mapped; a collision simply replaces

struct Entry {
  uint64_t hash = 0;
  uint32_t size = 0;  // 0: empty
  uint32_t count = 0;
  char bytes[kMaxBytes];
  int ids[kMaxIds];
};

struct Cache {
  Entry entries[kEntries];
};

}  // namespace

void BytePairEncodeCached(std::string_view piece, const RankTable& ranks, std::vector<int>* out) {
  if (piece.size() > kMaxBytes) {
    BytePairEncode(piece, ranks, out);
    return;
  }
  thread_local std::unique_ptr<Cache> cache;
  if (!cache) cache = std::make_unique<Cache>();
  const uint64_t h = RankTable::HashBytes(piece);
  Entry& e = cache->entries[h & (kEntries - 1)];
  if (e.hash == h && e.size == piece.size() &&
      std::memcmp(e.bytes, piece.data(), piece.size()) == 0) {
    out->insert(out->end(), e.ids, e.ids + e.count);
    return;
  }
  const size_t before = out->size();
  BytePairEncode(piece, ranks, out);
  const size_t count = out->size() - before;
  if (count > kMaxIds) return;
  e.hash = h;
  e.size = static_cast<uint32_t>(piece.size());
  e.count = static_cast<uint32_t>(count);
  std::memcpy(e.bytes, piece.data(), piece.size());
  std::copy(out->begin() + static_cast<ptrdiff_t>(before), out->end(), e.ids);
}

}  // namespace ingestd
