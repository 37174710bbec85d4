// The cl100k_base pre-tokenizer pattern (see pretokenizer.h) evaluated by hand for ASCII text:
// English prose rarely leaves ASCII, and this avoids a regex call per piece. Whenever the
// answer would depend on a non-ASCII character (is it a letter? a space? a digit?) it returns
// kNeedRegex and the caller asks PCRE2 instead, so Unicode semantics stay PCRE2's alone.
#pragma once

#include <cstddef>
#include <string_view>

namespace ingestd {

inline constexpr size_t kNeedRegex = 0;

// End of the piece starting at pos (pos < text.size()), or kNeedRegex.
size_t AsciiPieceEnd(std::string_view text, size_t pos);

}  // namespace ingestd
