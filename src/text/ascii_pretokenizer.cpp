#include "text/ascii_pretokenizer.h"

#include <array>
#include <cstdint>

namespace ingestd {
namespace {

// ASCII classes as PCRE2 sees them with UCP: \p{L}, \p{N}, \s (HT LF VT FF CR SP); kOther is
// every other ASCII byte; kHigh marks a non-ASCII byte, whose class only PCRE2 can tell.
enum Class : uint8_t { kOther, kLetter, kDigit, kSpace, kHigh };

constexpr std::array<Class, 256> MakeClasses() {
  std::array<Class, 256> c{};
  for (int b = 0; b < 256; ++b) {
    if (b >= 0x80)
      c[b] = kHigh;
    else if ((b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z'))
      c[b] = kLetter;
    else if (b >= '0' && b <= '9')
      c[b] = kDigit;
    else if ((b >= 0x09 && b <= 0x0D) || b == ' ')
      c[b] = kSpace;
    else
      c[b] = kOther;
  }
  return c;
}
constexpr std::array<Class, 256> kClass = MakeClasses();

// Class of the byte at i (i < t.size(): callers check bounds).
Class At(std::string_view t, size_t i) { return kClass[static_cast<unsigned char>(t[i])]; }

bool IsCrLf(char c) { return c == '\r' || c == '\n'; }

// End of the run of class k starting at i, or kNeedRegex if a non-ASCII byte ends it.
size_t RunEnd(std::string_view t, size_t i, Class k) {
  while (i < t.size() && At(t, i) == k) ++i;
  return i < t.size() && At(t, i) == kHigh ? kNeedRegex : i;
}

// 's 't 're 've 'm 'll 'd (either case); returns the length matched or 0.
size_t ContractionLength(std::string_view t, size_t pos) {
  auto lower = [&](size_t i) { return i < t.size() ? static_cast<char>(t[i] | 0x20) : '\0'; };
  char a = lower(pos + 1);
  char b = lower(pos + 2);
  bool letters = pos + 1 < t.size() && At(t, pos + 1) == kLetter;
  if (!letters) return 0;
  if (a == 's' || a == 't' || a == 'm' || a == 'd') return 2;
  if ((a == 'r' || a == 'v') && b == 'e' && At(t, pos + 2) == kLetter) return 3;
  if (a == 'l' && b == 'l' && At(t, pos + 2) == kLetter) return 3;
  return 0;
}

// \s*[\r\n]+ | \s+(?!\S) | \s+ for a whitespace run starting at pos.
size_t WhitespacePieceEnd(std::string_view t, size_t pos) {
  size_t end = RunEnd(t, pos, kSpace);
  if (end == kNeedRegex) return kNeedRegex;
  for (size_t k = end; k > pos; --k) {
    if (IsCrLf(t[k - 1])) return k;  // the last line break of the run
  }
  if (end == t.size() || end - pos == 1) return end;
  return end - 1;  // leave one space to prefix the next word
}

}  // namespace

size_t AsciiPieceEnd(std::string_view t, size_t pos) {
  const Class c = At(t, pos);
  const bool has_next = pos + 1 < t.size();
  const Class next = has_next ? At(t, pos + 1) : kOther;
  switch (c) {
    case kHigh:
      return kNeedRegex;
    case kLetter:
      return RunEnd(t, pos, kLetter);
    case kDigit: {
      size_t end = pos;
      while (end < t.size() && end - pos < 3 && At(t, end) == kDigit) ++end;
      if (end - pos < 3 && end < t.size() && At(t, end) == kHigh) return kNeedRegex;
      return end;
    }
    case kOther:
    case kSpace: {
      if (c == kOther && t[pos] == '\'') {
        if (size_t n = ContractionLength(t, pos)) return pos + n;
      }
      // [^\r\n\p{L}\p{N}]?\p{L}+ with a one-character prefix.
      if (!IsCrLf(t[pos]) && has_next) {
        if (next == kHigh) return kNeedRegex;
        if (next == kLetter) return RunEnd(t, pos + 1, kLetter);
      }
      // " ?[^\s\p{L}\p{N}]+[\r\n]*"
      const bool spaced = t[pos] == ' ' && next == kOther;
      if (c == kOther || spaced) {
        size_t end = RunEnd(t, spaced ? pos + 1 : pos, kOther);
        if (end == kNeedRegex) return kNeedRegex;
        while (end < t.size() && IsCrLf(t[end])) ++end;
        return end;
      }
      return WhitespacePieceEnd(t, pos);
    }
  }
  return kNeedRegex;
}

}  // namespace ingestd
