#include "store/keyword_query.h"

#include <algorithm>

namespace ingestd::keyword_query {
namespace {

bool IsAsciiWordByte(unsigned char b) {
  return (b >= '0' && b <= '9') || (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z');
}

// Length of the valid UTF-8 sequence of a non-ASCII character at s[i], 0 when invalid
// (a stray continuation byte, an overlong form, a surrogate, beyond U+10FFFF, truncated).
size_t Utf8Length(std::string_view s, size_t i) {
  const auto b = [&](size_t k) { return static_cast<unsigned char>(s[i + k]); };
  const unsigned char lead = b(0);
  size_t n = 0;
  unsigned char lo = 0x80, hi = 0xBF;  // the allowed range of the second byte
  if (lead >= 0xC2 && lead <= 0xDF) {
    n = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    n = 3;
    if (lead == 0xE0) lo = 0xA0;
    if (lead == 0xED) hi = 0x9F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    n = 4;
    if (lead == 0xF0) lo = 0x90;
    if (lead == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  if (b(1) < lo || b(1) > hi) return 0;
  for (size_t k = 2; k < n; ++k) {
    if (b(k) < 0x80 || b(k) > 0xBF) return 0;
  }
  return n;
}

}  // namespace

std::vector<std::string> Terms(std::string_view query) {
  std::vector<std::string> terms;
  std::string word;
  const auto flush = [&] {
    if (!word.empty() && word.size() <= kMaxTermBytes &&
        std::find(terms.begin(), terms.end(), word) == terms.end()) {
      terms.push_back(word);
    }
    word.clear();
  };
  for (size_t i = 0; i < query.size() && terms.size() < kMaxTerms;) {
    const auto byte = static_cast<unsigned char>(query[i]);
    if (byte < 0x80) {
      if (IsAsciiWordByte(byte)) {
        word.push_back(static_cast<char>(byte));
      } else {
        flush();
      }
      ++i;
      continue;
    }
    const size_t n = Utf8Length(query, i);
    if (n == 0) {
      flush();
      ++i;
      continue;
    }
    word.append(query.substr(i, n));
    i += n;
  }
  if (terms.size() < kMaxTerms) flush();
  return terms;
}

std::string Fts5Expression(const std::vector<std::string>& terms) {
  std::string out;
  for (const std::string& t : terms) {
    if (!out.empty()) out += " OR ";
    out += '"';
    out += t;
    out += '"';
  }
  return out;
}

}  // namespace ingestd::keyword_query
