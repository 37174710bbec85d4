#include "text/rank_table.h"

#include <charconv>
#include <cstring>

namespace ingestd {
namespace {

int Base64Value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

// Standard (padded) base64; false on any malformed input.
bool DecodeBase64(std::string_view in, std::string* out) {
  if (in.empty() || in.size() % 4 != 0) return false;
  size_t pad = in.ends_with("==") ? 2 : in.ends_with('=') ? 1 : 0;
  for (size_t i = 0; i < in.size(); i += 4) {
    uint32_t v = 0;
    for (size_t k = 0; k < 4; ++k) {
      char c = in[i + k];
      bool is_pad = i + 4 == in.size() && k >= 4 - pad;
      int d = is_pad ? 0 : Base64Value(c);
      if (d < 0) return false;
      v = v << 6 | static_cast<uint32_t>(d);
    }
    out->push_back(static_cast<char>(v >> 16));
    if (i + 4 < in.size() || pad < 2) out->push_back(static_cast<char>(v >> 8 & 0xFF));
    if (i + 4 < in.size() || pad < 1) out->push_back(static_cast<char>(v & 0xFF));
  }
  return true;
}

uint64_t Load64(const char* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

uint32_t Load32(const char* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

uint64_t Mix(uint64_t a, uint64_t b) {
  __uint128_t r = static_cast<__uint128_t>(a) * b;
  return static_cast<uint64_t>(r) ^ static_cast<uint64_t>(r >> 64);
}

Status Invalid(std::string_view why, size_t line) {
  return Status::Internal("RANK_DATA_INVALID",
                          "rank data line " + std::to_string(line) + ": " + std::string(why));
}

}  // namespace

// wyhash-style: reads the first and last 8 (or 4) bytes plus, for long keys, every 16-byte
// block, so short pieces (most words) hash in a few instructions.
uint64_t RankTable::Hash(const char* p, size_t n) {
  constexpr uint64_t k0 = 0xa0761d6478bd642full, k1 = 0xe7037ed1a0b428dbull,
                     k2 = 0x8ebc6af09c88c6e3ull;
  uint64_t a, b;
  uint64_t seed = k2 ^ n;
  if (n <= 16) {
    if (n >= 8) {
      a = Load64(p);
      b = Load64(p + n - 8);
    } else if (n >= 4) {
      a = Load32(p);
      b = Load32(p + n - 4);
    } else if (n > 0) {
      a = static_cast<uint64_t>(static_cast<unsigned char>(p[0])) << 16 |
          static_cast<uint64_t>(static_cast<unsigned char>(p[n / 2])) << 8 |
          static_cast<unsigned char>(p[n - 1]);
      b = 0;
    } else {
      a = b = 0;
    }
  } else {
    size_t i = 0;
    for (; i + 16 < n; i += 16) seed = Mix(Load64(p + i) ^ k0, Load64(p + i + 8) ^ seed);
    a = Load64(p + n - 16);
    b = Load64(p + n - 8);
  }
  return Mix(k1 ^ n, Mix(a ^ k0, b ^ seed));
}

bool RankTable::Insert(int rank) {
  std::string_view bytes = Bytes(rank);
  const uint64_t h = Hash(bytes.data(), bytes.size());
  for (size_t i = h & mask_;; i = (i + 1) & mask_) {
    Slot& slot = slots_[i];
    if (slot.rank < 0) {
      slot = Slot{static_cast<uint32_t>(h >> 32), rank};
      return true;
    }
    if (Bytes(slot.rank) == bytes) return false;
  }
}

Result<RankTable> RankTable::Parse(std::string_view text) {
  RankTable t;
  t.arena_.reserve(text.size() * 3 / 4);
  size_t line_no = 0;
  while (!text.empty()) {
    ++line_no;
    size_t eol = text.find('\n');
    std::string_view line = text.substr(0, eol);
    text = eol == std::string_view::npos ? std::string_view() : text.substr(eol + 1);
    if (line.empty()) continue;
    size_t sp = line.find(' ');
    if (sp == std::string_view::npos) return Invalid("no space", line_no);
    int rank = -1;
    std::string_view num = line.substr(sp + 1);
    auto [ptr, ec] = std::from_chars(num.data(), num.data() + num.size(), rank);
    if (ec != std::errc() || ptr != num.data() + num.size() || rank < 0 || rank > (1 << 24)) {
      return Invalid("bad rank", line_no);
    }
    size_t offset = t.arena_.size();
    if (!DecodeBase64(line.substr(0, sp), &t.arena_)) return Invalid("bad base64", line_no);
    if (static_cast<size_t>(rank) >= t.entries_.size()) t.entries_.resize(rank + 1);
    Entry& e = t.entries_[rank];
    if (e.size != 0) return Invalid("duplicate rank", line_no);
    e = Entry{static_cast<uint32_t>(offset), static_cast<uint32_t>(t.arena_.size() - offset)};
  }
  size_t slots = 1;
  while (slots < t.entries_.size() * 2) slots <<= 1;
  t.slots_.assign(slots, Slot{});
  t.mask_ = slots - 1;
  for (int rank = 0; rank < t.size(); ++rank) {
    if (t.entries_[rank].size == 0) return Invalid("missing rank " + std::to_string(rank), 0);
    if (!t.Insert(rank)) return Invalid("duplicate token of rank " + std::to_string(rank), 0);
  }
  return t;
}

}  // namespace ingestd
