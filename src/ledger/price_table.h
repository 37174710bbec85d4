// The one price table of the paid services (DESIGN.md §6): every reservation, settlement,
// audit row and pre-flight estimate is priced here, in nano-dollars so that costs are exact
// integers. The provider clients report usage (tokens, pages, cache hits), never money.
// Defaults are the published prices; the configuration picks the LlamaParse tier and may
// price a tier or model the table does not know (cli/config.cpp).
#pragma once

#include <cstdint>
#include <map>
#include <string>

namespace ingestd {

struct PriceTable {
  // Bumped whenever a default price changes; recorded with reports.
  std::string version = "2026-12";
  // OpenAI embedding models, nano-dollars per 1M input tokens (list prices).
  std::map<std::string, int64_t> embed_nanos_per_mtok = {
      {"text-embedding-3-small", 20'000'000},   // $0.02
      {"text-embedding-3-large", 130'000'000},  // $0.13
      {"text-embedding-ada-002", 100'000'000},  // $0.10
  };
  // The same models through the Batch API (https://platform.openai.com/docs/guides/batch:
  // "50% lower costs"), nano-dollars per 1M input tokens (list prices).
  std::map<std::string, int64_t> embed_batch_nanos_per_mtok = {
      {"text-embedding-3-small", 10'000'000},  // $0.01
      {"text-embedding-3-large", 65'000'000},  // $0.065
      {"text-embedding-ada-002", 50'000'000},  // $0.05
  };
  // LlamaParse credits a page per parse tier, at parse_nanos_per_credit each ($1.25 per
  // 1000 credits); cache hits are free.
  std::map<std::string, double> parse_credits_per_page = {
      {"fast", 1}, {"cost_effective", 3}, {"agentic", 10}, {"agentic_plus", 45}};
  int64_t parse_nanos_per_credit = 1'250'000;
  // The tier this process uploads with (LLAMAPARSE_TIER): what ParseCost charges.
  std::string parse_tier = "cost_effective";

  // Whether model (a stored tag: "text-embedding-3-small@512" is the model's price) has one.
  bool HasEmbedPrice(const std::string& model) const;
  bool HasParsePrice(const std::string& tier) const;
  // tokens × the model's price, rounded up to a whole nano; 0 for a model without a price
  // (the mock's and fallbacks' models, which are free).
  int64_t EmbedCost(const std::string& model, int64_t tokens) const;
  // The same through the Batch API (embed_batch_nanos_per_mtok); 0 without a batch price.
  int64_t EmbedBatchCost(const std::string& model, int64_t tokens) const;
  // One page of the configured tier (0 when the tier has no price).
  int64_t ParseNanosPerPage() const;
  int64_t ParseCost(int64_t pages, bool cache_hit = false) const;
};

}  // namespace ingestd
