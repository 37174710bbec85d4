// Embedder: turns chunk texts into vectors. Implementations: mock (deterministic, offline),
// real (OpenAI: services/openai_embedder.h).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"
#include "services/parser.h"

namespace ingestd {

struct EmbedOutput {
  std::vector<std::vector<float>> vectors;  // vectors[i] embeds texts[i]
  std::string model;                        // tag stored with every vector
  // The length of every vector: that of the model space that served the call. Set by an
  // embedder that fronts several (the router: a fallback has its own); 0 means the
  // embedder's own dimensions().
  int dimensions = 0;
  int64_t total_tokens = 0;  // provider-reported usage
  std::string implementation;
  // Priced by the router from the one price table (ledger/price_table.h); implementations
  // report usage only and leave it 0.
  double cost_usd = 0;
  // Indices of texts cut (at a token boundary) to the provider's per-input limit before
  // embedding: their vectors cover only a prefix.
  std::vector<size_t> truncated_inputs;
};

// Hears the vectors of an Embed call part by part, as the provider's requests are accepted,
// so the caller can keep what was paid for before a later request of the call fails.
class EmbedSink {
 public:
  virtual ~EmbedSink() = default;
  // vectors[k] embeds texts[indices[k]] of the call, in the model space `model` (checked to
  // be `dimensions` long, finite). Called on the calling thread. A non-OK status stops the
  // call (no further request is sent) and Embed returns it.
  virtual Status Accept(const std::vector<size_t>& indices,
                        const std::vector<std::vector<float>>& vectors, const std::string& model,
                        int dimensions) = 0;
};

class Embedder {
 public:
  virtual ~Embedder() = default;
  virtual std::string name() const = 0;
  virtual std::string model() const = 0;
  virtual int dimensions() const = 0;
  // Same contract for errors and threads as Parser::Parse. An implementation that sends
  // several provider requests per call reports each accepted one to ctx.embedded (when set)
  // as it returns; one that does not leaves everything to the result. Either way the result
  // holds every vector.
  virtual Result<EmbedOutput> Embed(const std::vector<std::string>& texts,
                                    const CallContext& ctx) = 0;
  // Same contract as Parser::CheckHealth: free, one attempt, default healthy.
  virtual Status CheckHealth(const CallContext& ctx) {
    (void)ctx;
    return Status();
  }
};

}  // namespace ingestd
