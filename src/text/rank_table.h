// RankTable: the byte-pair vocabulary of a tiktoken encoding (token bytes <-> rank), parsed
// from the standard `.tiktoken` text format ("<base64 token> <rank>\n" per line).
//
// Lookups are the tokenizer's hot path: an open-addressing hash table over one contiguous
// byte arena. Immutable after Parse(), so one instance is safely shared by any number of
// threads.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace ingestd {

class RankTable {
 public:
  static constexpr int kNotFound = -1;

  // Fails with RANK_DATA_INVALID on a malformed line, a duplicate token or a duplicate rank.
  static Result<RankTable> Parse(std::string_view tiktoken_text);

  // Rank of exactly these bytes, or kNotFound.
  int Find(std::string_view bytes) const {
    const uint64_t h = Hash(bytes.data(), bytes.size());
    const uint32_t tag = static_cast<uint32_t>(h >> 32);
    for (size_t i = h & mask_;; i = (i + 1) & mask_) {
      const Slot& slot = slots_[i];
      if (slot.rank < 0) return kNotFound;
      if (slot.tag == tag) {
        const Entry& e = entries_[slot.rank];
        if (e.size == bytes.size() &&
            std::char_traits<char>::compare(arena_.data() + e.offset, bytes.data(), bytes.size()) ==
                0) {
          return slot.rank;
        }
      }
    }
  }

  // Bytes of a rank; empty for a rank that is not in the table.
  std::string_view Bytes(int rank) const {
    if (rank < 0 || static_cast<size_t>(rank) >= entries_.size()) return {};
    const Entry& e = entries_[rank];
    return std::string_view(arena_.data() + e.offset, e.size);
  }

  // One past the largest rank; every rank below it is present.
  int size() const { return static_cast<int>(entries_.size()); }

 private:
  struct Entry {
    uint32_t offset = 0;
    uint32_t size = 0;  // 0: no token has this rank
  };
  struct Slot {
    uint32_t tag = 0;  // high half of the hash, to skip most byte compares
    int32_t rank = -1;
  };

  static uint64_t Hash(const char* p, size_t n);
  bool Insert(int rank);

  std::string arena_;
  std::vector<Entry> entries_;
  std::vector<Slot> slots_;
  size_t mask_ = 0;
};

}  // namespace ingestd
