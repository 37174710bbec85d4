// A provider-free token estimate: about 4 bytes of English per BPE token. Used by the mock
// embedder's usage report and the simple chunker until the real tokenizer replaces it.
#pragma once

#include <cstdint>
#include <string_view>

namespace ingestd {

inline int64_t EstimateTokens(std::string_view text) {
  return static_cast<int64_t>((text.size() + 3) / 4);
}

}  // namespace ingestd
