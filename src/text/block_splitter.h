// Splits one span of text that is over a token limit into consecutive pieces within it:
// at sentence ends and line breaks first, then, for a sentence still too long, at token
// boundaries (never inside a UTF-8 character). Each piece has at most max_tokens tokens by
// Tokenizer::Count, and the pieces tile the span.
#pragma once

#include <cstddef>
#include <string_view>
#include <utility>
#include <vector>

#include "text/tokenizer.h"

namespace ingestd {

struct TextPiece {
  size_t begin = 0;  // offsets into the text passed to SplitToTokenLimit
  size_t end = 0;
  size_t tokens = 0;
};

// text[begin, end) must be valid UTF-8; max_tokens >= 4 (a character is at most 4 tokens).
std::vector<TextPiece> SplitToTokenLimit(const Tokenizer& tok, std::string_view text, size_t begin,
                                         size_t end, size_t max_tokens);

}  // namespace ingestd
