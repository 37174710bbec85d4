// MockEmbedder: deterministic unit vectors, offline and free. A vector depends only on the
// chunk text (a hash seeds it), never on position or batch, so the same text always embeds
// the same way and re-running the embed stage rewrites identical rows. Thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "services/embedder.h"
#include "services/fault_injector.h"

namespace ingestd {

class MockEmbedder final : public Embedder {
 public:
  static constexpr int kDimensions = 1536;
  static constexpr std::string_view kModel = "mock-embed-1536";

  // Faults are decided once per Embed call (one call models one provider request).
  explicit MockEmbedder(FaultOptions faults = {});

  std::string name() const override { return "mock"; }
  std::string model() const override { return std::string(kModel); }
  int dimensions() const override { return kDimensions; }
  // total_tokens is EstimateTokens summed over texts (about bytes / 4); cost is 0.
  Result<EmbedOutput> Embed(const std::vector<std::string>& texts, const CallContext& ctx) override;

  // The L2-normalised vector for one text.
  static std::vector<float> VectorFor(std::string_view text);

 private:
  FaultInjector faults_;
};

}  // namespace ingestd
