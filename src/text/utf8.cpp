#include "text/utf8.h"

#include <cstdint>
#include <cstring>

namespace ingestd::utf8 {
namespace {

constexpr uint64_t kHighBits = 0x8080808080808080ull;

// For a lead byte: how many continuation bytes follow and the allowed range of the first one
// (Unicode Table 3-7). need == -1 marks a byte that can never start a sequence.
struct Lead {
  int need;
  unsigned char lo;
  unsigned char hi;
};

Lead ClassifyLead(unsigned char b) {
  if (b >= 0xC2 && b <= 0xDF) return {1, 0x80, 0xBF};
  if (b == 0xE0) return {2, 0xA0, 0xBF};
  if ((b >= 0xE1 && b <= 0xEC) || b == 0xEE || b == 0xEF) return {2, 0x80, 0xBF};
  if (b == 0xED) return {2, 0x80, 0x9F};  // excludes surrogates
  if (b == 0xF0) return {3, 0x90, 0xBF};  // excludes overlongs
  if (b >= 0xF1 && b <= 0xF3) return {3, 0x80, 0xBF};
  if (b == 0xF4) return {3, 0x80, 0x8F};  // nothing above U+10FFFF
  return {-1, 0, 0};
}

// Length of the well-formed sequence at s[i] (i < s.size(), s[i] >= 0x80), or, when it is
// ill-formed, minus the length of its maximal subpart (at least 1).
ptrdiff_t SequenceAt(std::string_view s, size_t i) {
  Lead lead = ClassifyLead(static_cast<unsigned char>(s[i]));
  if (lead.need < 0) return -1;
  size_t j = i + 1;
  for (int k = 0; k < lead.need; ++k, ++j) {
    if (j >= s.size()) return -static_cast<ptrdiff_t>(j - i);
    unsigned char c = static_cast<unsigned char>(s[j]);
    unsigned char lo = k == 0 ? lead.lo : 0x80;
    unsigned char hi = k == 0 ? lead.hi : 0xBF;
    if (c < lo || c > hi) return -static_cast<ptrdiff_t>(j - i);
  }
  return static_cast<ptrdiff_t>(j - i);
}

}  // namespace

size_t ValidPrefixLength(std::string_view s) {
  size_t i = 0;
  const size_t n = s.size();
  while (i < n) {
    // ASCII fast path, 8 bytes at a time.
    while (i + 8 <= n) {
      uint64_t word;
      std::memcpy(&word, s.data() + i, 8);
      if (word & kHighBits) break;
      i += 8;
    }
    if (i >= n) break;
    if (static_cast<unsigned char>(s[i]) < 0x80) {
      ++i;
      continue;
    }
    ptrdiff_t len = SequenceAt(s, i);
    if (len < 0) return i;
    i += static_cast<size_t>(len);
  }
  return n;
}

std::string Sanitize(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 16);
  size_t i = 0;
  while (i < s.size()) {
    size_t valid = ValidPrefixLength(s.substr(i));
    out.append(s.substr(i, valid));
    i += valid;
    if (i >= s.size()) break;
    ptrdiff_t len = SequenceAt(s, i);  // negative: ill-formed here
    out.append("\xEF\xBF\xBD");
    i += static_cast<size_t>(-len);
  }
  return out;
}

size_t FloorBoundary(std::string_view s, size_t i) {
  if (i >= s.size()) return s.size();
  while (i > 0 && !IsBoundary(s, i)) --i;
  return i;
}

}  // namespace ingestd::utf8
