// Byte-pair merging of one pre-tokenized piece: repeatedly merge the adjacent pair whose
// concatenation has the lowest rank (leftmost on ties) until no pair is in the vocabulary —
// exactly tiktoken's rule. Short pieces use a flat array (fast for typical words); long
// ones a heap and a linked list, so a megabyte-long "word" costs O(n log n), not O(n^2).
#pragma once

#include <string_view>
#include <vector>

#include "text/rank_table.h"

namespace ingestd {

// Appends the ranks of piece's tokens to out. Every byte value must have a rank (true of
// cl100k_base); piece must be non-empty.
void BytePairEncode(std::string_view piece, const RankTable& ranks, std::vector<int>* out);

// The same, always with the heap algorithm; exposed so tests can compare both on any input.
void BytePairEncodeLarge(std::string_view piece, const RankTable& ranks, std::vector<int>* out);

}  // namespace ingestd
