// Tokenizer: exact cl100k_base (the encoding of OpenAI's text-embedding-3-* and GPT-4 models):
// the same ids as tiktoken / gpt-tokenizer, token for token.
//
// Text is UTF-8. Invalid UTF-8 is not an error: every maximal ill-formed subsequence is read
// as U+FFFD first (as JavaScript's TextDecoder does), so the ids are those a reference
// tokenizer gives for the decoded string, and decode(encode(x)) == x exactly when x is valid.
// Special-token strings such as "<|endoftext|>" are ordinary text unless a call allows them.
//
// Thread safety: Cl100kBase() is built once (rank data embedded in the binary) and is
// immutable; all methods are const and safe to call concurrently.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "text/rank_table.h"

namespace ingestd {

enum class SpecialTokens {
  kAsText,  // "<|endoftext|>" is encoded like any other text (the safe default for user data)
  kAllow,   // the five cl100k special strings become their single special ids
};

class Tokenizer {
 public:
  // The process-wide cl100k_base tokenizer. The first call parses the embedded rank data
  // (~20 ms); aborts if the embedded data is corrupt, which the build prevents.
  static const Tokenizer& Cl100kBase();

  static constexpr int kEndOfText = 100257;

  std::vector<int> Encode(std::string_view text,
                          SpecialTokens special = SpecialTokens::kAsText) const;
  // Encode(text).size(), without materializing the ids.
  size_t Count(std::string_view text, SpecialTokens special = SpecialTokens::kAsText) const;

  // The bytes of ids, concatenated. Fails with INVALID_TOKEN_ID for an id that is neither a
  // rank nor a special token. A cut through a multi-byte character yields invalid UTF-8;
  // Truncate() is the way to get a valid prefix.
  Result<std::string> Decode(std::span<const int> ids) const;

  // The longest prefix of text that ends on a boundary of Encode(text), is valid UTF-8 (a
  // repaired copy when text is not) and has at most max_tokens tokens by Count().
  std::string Truncate(std::string_view text, size_t max_tokens) const;

  // For valid UTF-8 text: the byte length of the prefix Truncate() returns. Encodes only as
  // far as the limit (plus the rest of the piece it falls in).
  size_t TruncatedLength(std::string_view valid_utf8, size_t max_tokens) const;

  // The bytes of one id (a special token's string for a special id); empty if unknown.
  std::string_view TokenBytes(int id) const;

 private:
  explicit Tokenizer(RankTable ranks);

  // Appends the ids of one pre-tokenized piece.
  void AppendPieceIds(std::string_view piece, std::vector<int>* ids) const;

  // Calls sink(piece) per pre-tokenized piece (or sink(id) for allowed special tokens) of
  // valid UTF-8 text.
  template <typename Sink>
  void Walk(std::string_view text, SpecialTokens special, Sink&& sink) const;

  RankTable ranks_;
};

}  // namespace ingestd
