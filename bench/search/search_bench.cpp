// Vector search benchmark (issue 13 §5): ExactSpace and HnswSpace on one data file that
// bench/search/reference.py also reads (faiss IndexFlatIP and hnswlib, the references).
//
//   search_bench DATA OUT_DIR [--m M] [--ef-construction N] [--ef-search N[,N…]] [--no-hnsw]
//
// DATA is written first when it does not exist (see WriteData), then read back. Single thread,
// one query per Search call, as the search service calls it. The graph is built once and
// searched at each ef_search given (a build takes minutes). Prints one JSON object per line
// and writes OUT_DIR/exact_top10.i32 (the exact top 10 of each query, int32, row-major) for
// the reference script's agreement and recall checks.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <random>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "search/index/dot.h"
#include "search/index/exact_space.h"
#include "search/index/hnsw_space.h"

namespace {

using ingestd::search::VectorHit;
using ingestd::search::VectorKey;
using ingestd::search::VectorSpace;

// File layout: "IDXVEC01", then uint32 base count, query count, dims (little-endian), then
// the base vectors and the query vectors as float32, row after row.
constexpr char kMagic[8] = {'I', 'D', 'X', 'V', 'E', 'C', '0', '1'};
constexpr uint32_t kBase = 100000;
constexpr uint32_t kQueries = 1000;
constexpr uint32_t kDims = 1536;
constexpr uint32_t kIntrinsic = 64;
constexpr float kNoise = 4.0f;
constexpr uint32_t kSeed = 20261204;
constexpr int kTopK = 10;

struct Data {
  uint32_t base = 0, queries = 0, dims = 0;
  std::vector<float> vectors;  // base rows, then query rows
  const float* row(size_t i) const { return vectors.data() + i * dims; }
  const float* query(size_t i) const { return row(base + i); }
};

// Unit vectors with neighbourhoods, as text embeddings have: a random 64-d Gaussian point
// mapped into 1536 dimensions by one fixed random matrix, plus isotropic noise of 4× the
// matrix's per-coordinate scale (so noise carries ~20 % of the power), then normalised.
// Isotropic 1536-d Gaussians would have no near neighbours at all, which no embedding model
// produces. Queries come from the same distribution and are not in the base.
void WriteData(const std::string& path) {
  std::mt19937_64 rng(kSeed);
  std::normal_distribution<float> g;
  std::vector<float> mix(size_t{kIntrinsic} * kDims);
  for (float& x : mix) x = g(rng);
  std::ofstream out(path, std::ios::binary);
  const uint32_t header[3] = {kBase, kQueries, kDims};
  out.write(kMagic, sizeof kMagic);
  out.write(reinterpret_cast<const char*>(header), sizeof header);
  std::vector<float> z(kIntrinsic), x(kDims);
  for (uint32_t i = 0; i < kBase + kQueries; ++i) {
    for (float& v : z) v = g(rng);
    for (uint32_t d = 0; d < kDims; ++d) x[d] = kNoise * g(rng);
    for (uint32_t j = 0; j < kIntrinsic; ++j) {
      const float* m = mix.data() + size_t{j} * kDims;
      for (uint32_t d = 0; d < kDims; ++d) x[d] += z[j] * m[d];
    }
    double norm = 0;
    for (float v : x) norm += double{v} * v;
    const float scale = static_cast<float>(1 / std::sqrt(norm));
    for (float& v : x) v *= scale;
    out.write(reinterpret_cast<const char*>(x.data()), kDims * sizeof(float));
  }
  if (!out) throw std::runtime_error("cannot write " + path);
}

Data ReadData(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  char magic[8];
  uint32_t header[3];
  in.read(magic, sizeof magic);
  in.read(reinterpret_cast<char*>(header), sizeof header);
  if (!in || std::memcmp(magic, kMagic, sizeof magic) != 0) {
    throw std::runtime_error(path + " is not a search_bench data file");
  }
  Data data{header[0], header[1], header[2], {}};
  data.vectors.resize(size_t{data.base + data.queries} * data.dims);
  in.read(reinterpret_cast<char*>(data.vectors.data()), data.vectors.size() * sizeof(float));
  if (!in) throw std::runtime_error(path + " is truncated");
  return data;
}

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

struct QueryRun {
  std::vector<std::vector<VectorHit>> hits;
  double queries_per_s = 0;
  double p50_ms = 0;
};

QueryRun RunQueries(const VectorSpace& space, const Data& data) {
  QueryRun run;
  std::vector<double> ms;
  const auto start = std::chrono::steady_clock::now();
  for (uint32_t q = 0; q < data.queries; ++q) {
    const auto t = std::chrono::steady_clock::now();
    run.hits.push_back(space.Search(data.query(q), kTopK));
    ms.push_back(Seconds(t) * 1e3);
  }
  run.queries_per_s = data.queries / Seconds(start);
  std::sort(ms.begin(), ms.end());
  run.p50_ms = ms[ms.size() / 2];
  return run;
}

double RecallAt10(const QueryRun& run, const QueryRun& exact) {
  size_t found = 0;
  for (size_t q = 0; q < run.hits.size(); ++q) {
    std::set<VectorKey> want;
    for (const VectorHit& hit : exact.hits[q]) want.insert(hit.key);
    for (const VectorHit& hit : run.hits[q]) found += want.count(hit.key);
  }
  return static_cast<double>(found) / (exact.hits.size() * kTopK);
}

}  // namespace

int main(int argc, char** argv) try {
  if (argc < 3) {
    std::cerr << "usage: search_bench DATA OUT_DIR [--m M] [--ef-construction N] "
                 "[--ef-search N[,N...]] [--no-hnsw]\n";
    return 2;
  }
  const std::string data_path = argv[1], out_dir = argv[2];
  ingestd::search::HnswOptions options;
  std::vector<int> ef_searches;
  bool hnsw = true;
  for (int i = 3; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--no-hnsw") {
      hnsw = false;
    } else if (i + 1 < argc && arg == "--m") {
      options.m = std::stoi(argv[++i]);
    } else if (i + 1 < argc && arg == "--ef-construction") {
      options.ef_construction = std::stoi(argv[++i]);
    } else if (i + 1 < argc && arg == "--ef-search") {
      std::stringstream list(argv[++i]);
      for (std::string ef; std::getline(list, ef, ',');) ef_searches.push_back(std::stoi(ef));
    } else {
      std::cerr << "search_bench: unknown argument " << arg << "\n";
      return 2;
    }
  }
  if (ef_searches.empty()) ef_searches.push_back(options.ef_search);
  for (int ef : ef_searches) {
    options.ef_search = ef;
    if (const auto status = options.Validate(); !status.ok()) {
      std::cerr << "search_bench: " << status.ToString() << "\n";
      return 2;
    }
  }
  if (!std::ifstream(data_path)) {
    const auto t = std::chrono::steady_clock::now();
    WriteData(data_path);
    std::printf("{\"generated\":\"%s\",\"seconds\":%.1f}\n", data_path.c_str(), Seconds(t));
  }
  const Data data = ReadData(data_path);

  auto exact = ingestd::search::MakeExactSpace(static_cast<int>(data.dims),
                                               ingestd::search::QueryDensity::kDense);
  auto t = std::chrono::steady_clock::now();
  for (uint32_t i = 0; i < data.base; ++i) exact->Upsert(i, data.row(i));
  const double exact_build_s = Seconds(t);
  const QueryRun exact_run = RunQueries(*exact, data);
  std::printf(
      "{\"space\":\"exact\",\"kernel\":\"%s\",\"vectors\":%u,\"queries\":%u,\"dims\":%u,"
      "\"build_s\":%.2f,\"queries_per_s\":%.2f,\"p50_ms\":%.3f,\"memory_mb\":%.1f}\n",
      ingestd::search::DotKernelName(), data.base, data.queries, data.dims, exact_build_s,
      exact_run.queries_per_s, exact_run.p50_ms, exact->memory_bytes() / 1e6);
  std::fflush(stdout);
  {
    std::ofstream top(out_dir + "/exact_top10.i32", std::ios::binary);
    for (const auto& hits : exact_run.hits) {
      for (int i = 0; i < kTopK; ++i) {
        const int32_t key =
            i < static_cast<int>(hits.size()) ? static_cast<int32_t>(hits[i].key) : -1;
        top.write(reinterpret_cast<const char*>(&key), sizeof key);
      }
    }
  }
  if (!hnsw) return 0;

  t = std::chrono::steady_clock::now();
  auto graph = ingestd::search::MakeHnswSpaceFrom(*exact, options);
  const double hnsw_build_s = Seconds(t);
  exact.reset();
  for (int ef : ef_searches) {
    graph->SetEfSearch(ef);
    const QueryRun hnsw_run = RunQueries(*graph, data);
    std::printf(
        "{\"space\":\"hnsw\",\"m\":%d,\"ef_construction\":%d,\"ef_search\":%d,"
        "\"build_s\":%.1f,\"queries_per_s\":%.2f,\"p50_ms\":%.3f,\"recall_at_10\":%.4f,"
        "\"memory_mb\":%.1f}\n",
        options.m, options.ef_construction, ef, hnsw_build_s, hnsw_run.queries_per_s,
        hnsw_run.p50_ms, RecallAt10(hnsw_run, exact_run), graph->memory_bytes() / 1e6);
    std::fflush(stdout);
  }
  return 0;
} catch (const std::exception& e) {
  std::cerr << "search_bench: " << e.what() << "\n";
  return 1;
}
