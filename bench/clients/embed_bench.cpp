// Embeds N synthetic chunks through OpenAiEmbedder against the in-process fake OpenAI server
// with added latency, and reports requests sent vs the theoretical minimum, chunks/s and
// peak memory (ru_maxrss of this process, which also hosts the fake).
//
// usage: clients_embed_bench [chunks=100000] [latency_ms=50] [call_size=2048] [in_flight=4]
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "services/det_random.h"
#include "services/openai_embedder.h"
#include "services/openai_packing.h"
#include "tests/fakes/fake_openai_server.h"
#include "text/tokenizer.h"

using namespace ingestd;

namespace {

constexpr const char* kWords[] = {
    "the",   "data",    "model", "page",  "value",  "function", "table", "result", "index",
    "file",  "system",  "user",  "text",  "number", "section",  "list",  "method", "object",
    "error", "package", "time",  "level", "source", "output",   "graph", "matrix", "vector"};

std::vector<std::string> MakeChunks(size_t n) {
  SplitMix64 rng(42);
  std::vector<std::string> chunks(n);
  for (auto& c : chunks) {
    const int words = rng.Between(300, 500);
    for (int w = 0; w < words; ++w) {
      if (w) c += ' ';
      c += kWords[rng.Next() % std::size(kWords)];
    }
  }
  return chunks;
}

}  // namespace

int main(int argc, char** argv) {
  const size_t n = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 100'000;
  const int64_t latency = argc > 2 ? std::strtoll(argv[2], nullptr, 10) : 50;
  const size_t call_size = argc > 3 ? std::strtoul(argv[3], nullptr, 10) : 2048;
  const size_t in_flight = argc > 4 ? std::strtoul(argv[4], nullptr, 10) : 4;

  const std::vector<std::string> chunks = MakeChunks(n);
  std::vector<int64_t> tokens(n);
  int64_t total_tokens = 0;
  for (size_t i = 0; i < n; ++i) {
    tokens[i] = static_cast<int64_t>(Tokenizer::Cl100kBase().Count(chunks[i]));
    total_tokens += tokens[i];
  }
  const openai::PackLimits limits;
  const size_t minimum = openai::MinimumRequests(tokens, limits);
  rusage before{};
  getrusage(RUSAGE_SELF, &before);  // the inputs alone, before any request

  fakes::FakeOpenAiServer fake(fakes::FakeOpenAiOptions{.latency_ms = latency});
  OpenAiEmbedderConfig config;
  config.api_key = "sk-fake-0123456789abcdef";
  config.base_url = fake.base_url();
  config.max_in_flight = in_flight;
  auto embedder = OpenAiEmbedder::Create(config);
  if (!embedder.ok()) {
    std::fprintf(stderr, "%s\n", embedder.status().ToString().c_str());
    return 1;
  }
  const auto t0 = std::chrono::steady_clock::now();
  int64_t usage = 0;
  size_t minimum_per_call = 0;
  for (size_t begin = 0; begin < n; begin += call_size) {
    const size_t end = std::min(n, begin + call_size);
    std::vector<std::string> texts(chunks.begin() + begin, chunks.begin() + end);
    minimum_per_call += openai::MinimumRequests(
        std::vector<int64_t>(tokens.begin() + begin, tokens.begin() + end), limits);
    auto out = (*embedder)->Embed(texts, CallContext{"bench", "bench", "bench"});
    if (!out.ok() || out->vectors.size() != texts.size()) {
      std::fprintf(stderr, "embed failed: %s\n", out.status().ToString().c_str());
      return 1;
    }
    usage += out->total_tokens;
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  const auto stats = (*embedder)->stats();
  std::printf(
      "chunks=%zu tokens=%lld latency_ms=%lld call_size=%zu in_flight=%zu\n"
      "requests_sent=%lld retries=%lld fake_requests=%zu connections=%d\n"
      "theoretical_min_whole_set=%zu theoretical_min_per_call=%zu usage_tokens=%lld\n"
      "seconds=%.2f chunks_per_s=%.0f peak_rss_mb=%.1f rss_inputs_only_mb=%.1f\n",
      n, static_cast<long long>(total_tokens), static_cast<long long>(latency), call_size,
      in_flight, static_cast<long long>(stats.requests_sent), static_cast<long long>(stats.retries),
      fake.requests().size(), fake.connections_accepted(), minimum, minimum_per_call,
      static_cast<long long>(usage), secs, n / secs, ru.ru_maxrss / 1024.0,
      before.ru_maxrss / 1024.0);
  return 0;
}
