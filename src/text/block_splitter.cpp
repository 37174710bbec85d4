#include "text/block_splitter.h"

#include "text/utf8.h"

namespace ingestd {
namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// Sentence spans of text[begin, end): each ends after ". ", "! ", "? " (with all the
// whitespace that follows) or after a line break.
std::vector<std::pair<size_t, size_t>> Sentences(std::string_view text, size_t begin, size_t end) {
  std::vector<std::pair<size_t, size_t>> out;
  size_t start = begin;
  for (size_t i = begin; i < end; ++i) {
    const char c = text[i];
    const bool stop =
        c == '\n' || ((c == '.' || c == '!' || c == '?') && i + 1 < end && IsSpace(text[i + 1]));
    if (!stop) continue;
    size_t cut = i + 1;
    while (cut < end && IsSpace(text[cut])) ++cut;
    out.emplace_back(start, cut);
    start = cut;
    i = cut - 1;
  }
  if (start < end) out.emplace_back(start, end);
  return out;
}

// Cuts text[begin, end) at token boundaries into pieces of at most max_tokens.
void SplitAtTokens(const Tokenizer& tok, std::string_view text, size_t begin, size_t end,
                   size_t max_tokens, std::vector<TextPiece>* out) {
  while (begin < end) {
    std::string_view rest = text.substr(begin, end - begin);
    size_t len = tok.TruncatedLength(rest, max_tokens);
    if (len == 0) {
      // No token boundary within the limit falls between characters: take one character
      // (at most 4 bytes, so at most 4 tokens).
      len = 1;
      while (!utf8::IsBoundary(rest, len)) ++len;
    }
    out->push_back({begin, begin + len, tok.Count(rest.substr(0, len))});
    begin += len;
  }
}

}  // namespace

std::vector<TextPiece> SplitToTokenLimit(const Tokenizer& tok, std::string_view text, size_t begin,
                                         size_t end, size_t max_tokens) {
  std::vector<TextPiece> out;
  for (auto [b, e] : Sentences(text, begin, end)) {
    size_t tokens = tok.Count(text.substr(b, e - b));
    if (tokens <= max_tokens) {
      out.push_back({b, e, tokens});
    } else {
      SplitAtTokens(tok, text, b, e, max_tokens, &out);
    }
  }
  return out;
}

}  // namespace ingestd
