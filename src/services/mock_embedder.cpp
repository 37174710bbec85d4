#include "services/mock_embedder.h"

#include <cmath>

#include "core/crypto.h"
#include "services/det_random.h"
#include "services/token_estimate.h"

namespace ingestd {

MockEmbedder::MockEmbedder(FaultOptions faults) : faults_(faults, "embed") {}

std::vector<float> MockEmbedder::VectorFor(std::string_view text) {
  SplitMix64 rng(Fnv1a64(text));
  std::vector<double> raw(kDimensions);
  double norm2 = 0;
  for (double& v : raw) {
    // Top 53 bits → uniform in [-1, 1); never all zero in practice, guarded below anyway.
    v = static_cast<double>(rng.Next() >> 11) * 0x1.0p-52 - 1.0;
    norm2 += v * v;
  }
  const double inv = norm2 > 0 ? 1.0 / std::sqrt(norm2) : 0.0;
  std::vector<float> out(kDimensions);
  for (int i = 0; i < kDimensions; ++i) out[i] = static_cast<float>(raw[i] * inv);
  return out;
}

Result<EmbedOutput> MockEmbedder::Embed(const std::vector<std::string>& texts,
                                        const CallContext& /*ctx*/) {
  if (Status fault = faults_.BeforeCall(); !fault.ok()) return fault;
  EmbedOutput out;
  out.model = std::string(kModel);
  out.implementation = "mock";
  out.vectors.reserve(texts.size());
  for (const std::string& t : texts) {
    out.vectors.push_back(VectorFor(t));
    out.total_tokens += EstimateTokens(t);
  }
  return out;
}

}  // namespace ingestd
