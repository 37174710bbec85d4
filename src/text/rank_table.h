// RankTable: the byte-pair vocabulary of a tiktoken encoding (token bytes <-> rank), parsed
// from the standard `.tiktoken` text format ("<base64 token> <rank>\n" per line).
//
// Lookups are the tokenizer's hot path: an open-addressing hash table over one contiguous
// byte arena. Immutable after Parse(), so one instance is safely shared by any number of
// threads.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
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
    const char* p = bytes.data();
    const size_t n = bytes.size();
    const uint64_t head = Head(p, n);
    const uint64_t h = Hash(head, p, n);
    const uint8_t tag = Tag(h);
    for (size_t i = h & mask_;; i = (i + 1) & mask_) {
      if (tags_[i] == 0) return kNotFound;
      if (tags_[i] != tag) continue;
      const Slot& slot = slots_[i];
      if (slot.head == head && slot.size == n &&
          (n <= 8 ||
           std::char_traits<char>::compare(arena_.data() + slot.offset + 8, p + 8, n - 8) == 0)) {
        return slot.rank;
      }
    }
  }

  // Find() for a two-byte string, by direct indexing (the first step of every merge).
  int FindPair(char a, char b) const {
    return pair_ranks_[static_cast<unsigned char>(a) << 8 | static_cast<unsigned char>(b)];
  }

  // Bytes of a rank; empty for a rank that is not in the table.
  std::string_view Bytes(int rank) const {
    if (rank < 0 || static_cast<size_t>(rank) >= entries_.size()) return {};
    const Entry& e = entries_[rank];
    return std::string_view(arena_.data() + e.offset, e.size);
  }

  // The table's 64-bit hash of any byte string (also good for other caches of pieces).
  static uint64_t HashBytes(std::string_view b) {
    return Hash(Head(b.data(), b.size()), b.data(), b.size());
  }

  // One past the largest rank; every rank below it is present.
  int size() const { return static_cast<int>(entries_.size()); }

 private:
  struct Entry {
    uint32_t offset = 0;
    uint32_t size = 0;  // 0: no token has this rank
  };
  // Probing reads tags_ first (1 byte per slot, 256 KB: cache-resident), so most failed
  // lookups, which byte-pair merging makes by the dozen, never touch slots_. Tokens of up to
  // 8 bytes (most of them) then compare inside their slot.
  struct Slot {
    uint64_t head = 0;  // the first min(size, 8) bytes, zero-padded (little-endian)
    int32_t rank = -1;
    uint32_t size = 0;
    uint32_t offset = 0;  // into arena_
    uint32_t unused = 0;
  };

  static uint64_t Load64(const char* p) {
    uint64_t v;
    std::memcpy(&v, p, 8);
    return v;
  }
  static uint64_t Load32(const char* p) {
    uint32_t v;
    std::memcpy(&v, p, 4);
    return v;
  }
  // First min(n, 8) bytes as a little-endian integer, without reading past p + n.
  static uint64_t Head(const char* p, size_t n) {
    if (n >= 8) return Load64(p);
    if (n >= 4) return Load32(p) | Load32(p + n - 4) << ((n - 4) * 8);
    if (n == 0) return 0;
    auto byte = [p](size_t i) { return static_cast<uint64_t>(static_cast<unsigned char>(p[i])); };
    return byte(0) | byte(n / 2) << (n / 2 * 8) | byte(n - 1) << ((n - 1) * 8);
  }
  // A slot's tag: 7 hash bits with the top bit set, so 0 marks an empty slot.
  static uint8_t Tag(uint64_t h) { return static_cast<uint8_t>(h >> 57 | 0x80); }
  static uint64_t Mix(uint64_t a, uint64_t b) {
    __uint128_t r = static_cast<__uint128_t>(a) * b;
    return static_cast<uint64_t>(r) ^ static_cast<uint64_t>(r >> 64);
  }
  // wyhash-style; keys longer than 8 bytes also mix every further 8-byte block.
  static uint64_t Hash(uint64_t head, const char* p, size_t n) {
    constexpr uint64_t k0 = 0xa0761d6478bd642full, k1 = 0xe7037ed1a0b428dbull;
    uint64_t h = Mix(head ^ k0, n ^ k1);
    for (size_t i = 8; i < n; i += 8) h = Mix(h ^ k0, Load64(p + std::min(i, n - 8)) ^ k1);
    return h;
  }
  bool Insert(int rank);

  std::string arena_;
  std::vector<Entry> entries_;
  std::vector<Slot> slots_;
  std::vector<uint8_t> tags_;    // parallel to slots_
  std::vector<int> pair_ranks_;  // 65536 entries: rank of every two-byte token, else kNotFound
  size_t mask_ = 0;
};

}  // namespace ingestd
