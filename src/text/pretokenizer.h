// Pretokenizer: splits text into the pieces that byte-pair merging works on, with the
// cl100k_base pattern compiled by PCRE2 (UTF + Unicode properties, JIT):
//
//   '(?:[sS]|[tT]|[rR][eE]|[vV][eE]|[mM]|[lL][lL]|[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|
//   ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
//
// The contraction alternative spells out its cases as gpt-tokenizer does instead of tiktoken's
// (?i:…), which would also accept U+017F (long s) under Unicode case folding.
// Unicode properties come from PCRE2's tables (Unicode 14 for Debian 12's 10.42): code points
// assigned after Unicode 14 may be split differently from tokenizers with newer tables.
//
// The compiled pattern is shared read-only; per-thread match state is created on first use.
#pragma once

#include <cstddef>
#include <string_view>

namespace ingestd {

class Pretokenizer {
 public:
  // The process-wide instance (compiled on first use; thread-safe). Aborts if the pattern
  // cannot be compiled, which only a broken PCRE2 build could cause.
  static const Pretokenizer& Get();

  // Calls fn(piece) for each piece of text, in order; the pieces concatenate to text.
  // text must be valid UTF-8 (see utf8.h): it is not re-checked.
  template <typename Fn>
  void ForEachPiece(std::string_view text, Fn&& fn) const {
    size_t pos = 0;
    while (pos < text.size()) {
      size_t end = NextPieceEnd(text, pos);
      fn(text.substr(pos, end - pos));
      pos = end;
    }
  }

  // End offset of the piece starting at pos (pos < text.size()).
  size_t NextPieceEnd(std::string_view text, size_t pos) const;

 private:
  Pretokenizer();
  void* code_ = nullptr;  // pcre2_code_8*, never freed (lives for the process)
};

}  // namespace ingestd
