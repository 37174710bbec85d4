// Prices of the paid services (DESIGN.md §6), in nano-dollars so that costs are exact
// integers. Defaults are the published prices; config may override them.
#pragma once

#include <cstdint>
#include <map>
#include <string>

namespace ingestd {

struct PriceTable {
  // Bumped whenever a default price changes; recorded with reports.
  std::string version = "2026-11";
  // Embedding models: nanos per token ($0.02 / 1M tokens = 20 nanos per token).
  std::map<std::string, int64_t> embed_nanos_per_token = {
      {"text-embedding-3-small", 20},
      {"text-embedding-3-large", 130},
  };
  // LlamaParse: $1.25 per 1000 credits; 1 credit per page on the fast tier, 3 on the
  // cost-effective tier; cache hits are free.
  int64_t parse_nanos_per_credit = 1'250'000;
  int parse_credits_per_page = 1;

  // Tokens × price; 0 for a model without a price (mock models).
  int64_t EmbedCost(const std::string& model, int64_t tokens) const;
  int64_t ParseCost(int64_t pages, bool cache_hit = false) const;
};

}  // namespace ingestd
