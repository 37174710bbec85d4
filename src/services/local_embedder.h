// LocalEmbedder: free, offline, deterministic vectors for lexical-similarity search, with no
// model weights (issue 13 §1). Each text is lower-cased (ASCII) and encoded with cl100k_base;
// its tokens (their text without the leading whitespace cl100k attaches, whitespace-only
// tokens dropped) and token bigrams are feature-hashed into `dimensions` signed buckets with
// sublinear term weights (1 + ln tf), then L2-normalised. Texts sharing words get a positive
// dot product; unrelated texts are near orthogonal. A text without tokens embeds as the zero
// vector (it matches nothing).
//
// The hash is part of the model tag's meaning: changing it (or the weighting) must change
// kModelPrefix's version, or stored vectors and new queries would silently disagree.
// Thread-safe (stateless beyond its options).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "services/embedder.h"

namespace ingestd {

class LocalEmbedder final : public Embedder {
 public:
  static constexpr int kDefaultDimensions = 1024;
  static constexpr std::string_view kModelPrefix = "ingestd-hash-v1@";

  // dimensions must be positive (the config checks its range).
  explicit LocalEmbedder(int dimensions = kDefaultDimensions);

  std::string name() const override { return "local"; }
  // "ingestd-hash-v1@<dimensions>": each dimension count is its own model space.
  std::string model() const override { return model_; }
  int dimensions() const override { return dimensions_; }
  // total_tokens is the exact cl100k count over texts; the call costs nothing.
  Result<EmbedOutput> Embed(const std::vector<std::string>& texts, const CallContext& ctx) override;

  // The vector of one text, and its cl100k token count in *tokens when given.
  std::vector<float> VectorFor(std::string_view text, size_t* tokens = nullptr) const;

 private:
  int dimensions_;
  std::string model_;
};

}  // namespace ingestd
