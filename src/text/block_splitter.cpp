#include "text/block_splitter.h"

#include <algorithm>

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

// Cuts text[begin, end) at token boundaries into pieces of at most max_tokens. The span is
// encoded once, so a megabyte-long piece costs O(n log n), not O(n^2 / max_tokens).
void SplitAtTokens(const Tokenizer& tok, std::string_view text, size_t begin, size_t end,
                   size_t max_tokens, std::vector<TextPiece>* out) {
  while (begin < end) {
    const std::vector<int> ids = tok.Encode(text.substr(begin, end - begin));
    // Token boundaries as offsets into text.
    std::vector<size_t> cuts(ids.size() + 1, begin);
    for (size_t i = 0; i < ids.size(); ++i) cuts[i + 1] = cuts[i] + tok.TokenBytes(ids[i]).size();
    size_t k = 0;  // index of the token at `begin`
    while (k < ids.size()) {
      // The furthest cut within max_tokens that falls between characters and whose piece,
      // re-encoded on its own, still fits.
      size_t j = std::min(k + max_tokens, ids.size());
      size_t tokens = 0;
      for (; j > k; --j) {
        if (!utf8::IsBoundary(text, cuts[j])) continue;
        tokens = tok.Count(text.substr(cuts[k], cuts[j] - cuts[k]));
        if (tokens <= max_tokens) break;
      }
      if (j == k) break;  // no usable cut: fall back below, then re-encode the rest
      out->push_back({cuts[k], cuts[j], tokens});
      k = j;
    }
    begin = cuts[k];
    if (begin >= end) return;
    // Tokens here straddle characters all the way to the limit: take one character (at most
    // 4 bytes, so at most 4 tokens) and encode the rest again.
    size_t len = 1;
    while (!utf8::IsBoundary(text, begin + len)) ++len;
    out->push_back({begin, begin + len, tok.Count(text.substr(begin, len))});
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
