// UTF-8 validation and repair for the tokenizer and chunkers.
//
// Invalid input is repaired the way the WHATWG/Unicode "maximal subpart" rule does it (and so
// the way JavaScript's TextDecoder, and hence the npm reference tokenizers, see the same bytes):
// each maximal ill-formed subsequence becomes one U+FFFD. Pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace ingestd::utf8 {

// Length of the longest well-formed UTF-8 prefix of s (Unicode Table 3-7: no overlongs, no
// surrogates, nothing above U+10FFFF).
size_t ValidPrefixLength(std::string_view s);
inline bool IsValid(std::string_view s) { return ValidPrefixLength(s) == s.size(); }

// s with every maximal ill-formed subsequence replaced by U+FFFD (EF BF BD). Returns s
// unchanged (as a copy) when it is already valid.
std::string Sanitize(std::string_view s);

// True when byte offset i of s (i <= s.size()) starts a code point or is the end.
inline bool IsBoundary(std::string_view s, size_t i) {
  return i >= s.size() || (static_cast<unsigned char>(s[i]) & 0xC0) != 0x80;
}

// The largest code-point boundary <= i (i clamped to s.size()).
size_t FloorBoundary(std::string_view s, size_t i);

}  // namespace ingestd::utf8
