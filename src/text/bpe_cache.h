// Per-thread memo of byte-pair merges: English text repeats its out-of-vocabulary words, and
// a hit costs one hash and one compare instead of a merge loop with dozens of lookups.
#pragma once

#include <string_view>
#include <vector>

#include "text/rank_table.h"

namespace ingestd {

// BytePairEncode(piece, ranks, out), remembered per thread for short pieces. The cache is
// allocated on a thread's first call (~512 KB) and assumes one RankTable per process.
void BytePairEncodeCached(std::string_view piece, const RankTable& ranks, std::vector<int>* out);

}  // namespace ingestd
