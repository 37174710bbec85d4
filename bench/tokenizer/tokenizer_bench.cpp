// Single-thread throughput of the cl100k_base tokenizer and the markdown-tokens@1 chunker on
// one corpus file. Prints one JSON line per measurement and writes the ids (little-endian
// int32) for run.sh to compare with the JavaScript tokenizers.
//
// usage: tokenizer_bench CORPUS IDS_OUT [REPEATS]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "text/markdown_token_chunker.h"
#include "text/tokenizer.h"

namespace {

using Clock = std::chrono::steady_clock;

struct Timing {
  double wall = 1e30;  // seconds, best run
  double cpu = 1e30;   // process CPU seconds of that run: steadier on a shared machine
};

// Best of `repeats` runs of fn.
template <typename Fn>
Timing BestOf(int repeats, Fn&& fn) {
  Timing best;
  for (int i = 0; i < repeats; ++i) {
    const auto start = Clock::now();
    const std::clock_t cpu_start = std::clock();
    fn();
    const double wall = std::chrono::duration<double>(Clock::now() - start).count();
    if (wall < best.wall) {
      best.wall = wall;
      best.cpu = static_cast<double>(std::clock() - cpu_start) / CLOCKS_PER_SEC;
    }
  }
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s CORPUS IDS_OUT [REPEATS]\n", argv[0]);
    return 2;
  }
  const int repeats = argc > 3 ? std::max(1, std::atoi(argv[3])) : 5;
  std::ifstream in(argv[1], std::ios::binary);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (!in && !in.eof()) {
    std::fprintf(stderr, "cannot read %s\n", argv[1]);
    return 1;
  }
  const auto& tok = ingestd::Tokenizer::Cl100kBase();

  std::vector<int> ids;
  const Timing encode_t = BestOf(repeats, [&] { ids = tok.Encode(text); });
  size_t count = 0;
  const Timing count_t = BestOf(repeats, [&] { count = tok.Count(text); });
  if (count != ids.size()) {
    std::fprintf(stderr, "Count %zu != Encode size %zu\n", count, ids.size());
    return 1;
  }
  auto decoded = tok.Decode(ids);
  if (!decoded.ok() || *decoded != text) {
    std::fprintf(stderr, "decode(encode(corpus)) != corpus\n");
    return 1;
  }
  for (auto [op, t] : {std::pair{"encode", encode_t}, std::pair{"count", count_t}}) {
    std::printf(
        "{\"impl\":\"ingestd\",\"op\":\"%s\",\"bytes\":%zu,\"tokens\":%zu,\"seconds\":%.4f,"
        "\"cpu_seconds\":%.4f,\"mtokens_per_s\":%.2f}\n",
        op, text.size(), count, t.wall, t.cpu, count / t.wall / 1e6);
  }

  ingestd::MarkdownTokenChunker chunker;
  size_t chunks = 0;
  const Timing chunk_t = BestOf(std::max(1, repeats / 2), [&] {
    chunks = chunker.Split("6ba7b810-9dad-11d1-80b4-00c04fd430c8", text).size();
  });
  std::printf(
      "{\"impl\":\"ingestd\",\"op\":\"chunk\",\"chunker\":\"%s\",\"bytes\":%zu,\"chunks\":%zu,"
      "\"seconds\":%.4f,\"cpu_seconds\":%.4f,\"mb_per_s\":%.2f}\n",
      chunker.name().c_str(), text.size(), chunks, chunk_t.wall, chunk_t.cpu,
      text.size() / chunk_t.wall / 1e6);

  std::ofstream out(argv[2], std::ios::binary);
  out.write(reinterpret_cast<const char*>(ids.data()),
            static_cast<std::streamsize>(ids.size() * sizeof(int)));
  return out ? 0 : 1;
}
