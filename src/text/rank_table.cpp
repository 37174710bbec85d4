#include "text/rank_table.h"

#include <charconv>

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

Status Invalid(std::string_view why, size_t line) {
  return Status::Internal("RANK_DATA_INVALID",
                          "rank data line " + std::to_string(line) + ": " + std::string(why));
}

}  // namespace

bool RankTable::Insert(int rank) {
  const Entry& e = entries_[rank];
  const char* p = arena_.data() + e.offset;
  const uint64_t head = Head(p, e.size);
  const uint64_t h = Hash(head, p, e.size);
  for (size_t i = h & mask_;; i = (i + 1) & mask_) {
    Slot& slot = slots_[i];
    if (tags_[i] == 0) {
      slot = Slot{head, rank, e.size, e.offset, 0};
      tags_[i] = Tag(h);
      return true;
    }
    if (Bytes(slot.rank) == Bytes(rank)) return false;
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
  t.tags_.assign(slots, 0);
  t.mask_ = slots - 1;
  for (int rank = 0; rank < t.size(); ++rank) {
    if (t.entries_[rank].size == 0) return Invalid("missing rank " + std::to_string(rank), 0);
    if (!t.Insert(rank)) return Invalid("duplicate token of rank " + std::to_string(rank), 0);
  }
  t.pair_ranks_.assign(1 << 16, kNotFound);
  for (int rank = 0; rank < t.size(); ++rank) {
    std::string_view b = t.Bytes(rank);
    if (b.size() == 2) {
      t.pair_ranks_[static_cast<unsigned char>(b[0]) << 8 | static_cast<unsigned char>(b[1])] =
          rank;
    }
  }
  return t;
}

}  // namespace ingestd
