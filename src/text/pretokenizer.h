// Pretokenizer: splits text into the pieces that byte-pair merging works on, with the
// cl100k_base pattern compiled by PCRE2 (UTF + Unicode properties, JIT):
//
//   '(?:[sS]|[tT]|[rR][eE]|[vV][eE]|[mM]|[lL][lL]|[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|
//    ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
//
// with \s meaning Unicode White_Space, as in tiktoken (OpenAI's reference, Rust regex). Known,
// deliberate differences from other implementations:
//  - npm gpt-tokenizer uses JavaScript's \s, which lacks U+0085 (NEL) and adds U+FEFF; it also
//    mis-encodes U+FEFF (its lookups go through TextDecoder, which drops a leading BOM). On
//    text with U+0085 or U+FEFF we follow tiktoken, not gpt-tokenizer.
//  - The contraction alternative spells out its cases as gpt-tokenizer does instead of
//    tiktoken's (?i:…), which also accepts U+017F (long s); no difference in ids was found.
//  - \p{L} and \p{N} come from PCRE2's tables (Unicode 14 for Debian 12's 10.42): code points
//    assigned after Unicode 14 may be split differently from tokenizers with newer tables.
//
// The compiled pattern is shared read-only; per-thread match state is created on first use.
#pragma once

#include <cstddef>
#include <string_view>

namespace ingestd {

class Pretokenizer {
 public:
  // The process-wide instance (compiled on first use; thread-safe). Aborts if the pattern
  // cannot be compiled or a match fails, which only a broken PCRE2 build could cause: every
  // character starts some alternative, and the repeats backtrack one character at a time.
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

  // End offset of the piece starting at pos (pos < text.size()). ASCII pieces are found by a
  // hand-written matcher (ascii_pretokenizer.h), everything else by PCRE2.
  size_t NextPieceEnd(std::string_view text, size_t pos) const;
  // The same by PCRE2 alone; tests hold the ASCII matcher to it.
  size_t NextPieceEndRegex(std::string_view text, size_t pos) const;

 private:
  Pretokenizer();
  void* code_ = nullptr;  // pcre2_code_8*, never freed (lives for the process)
  bool jit_ = false;
};

}  // namespace ingestd
