// POST /api/v1/search over real documents (issue 13 §5), against a running `ingestd serve`:
//
//   http_search_bench --url http://127.0.0.1:PORT --token JWT [--clients 16] [--seconds 20]
//                     PDF...
//
// 1. Uploads each PDF (one-shot) and waits until every job is complete.
// 2. Reads every chunk back. Its section is the last heading of its heading_path; each
//    distinct section heading is a query, and the chunks of that section are its answers.
// 3. Latency: --clients threads, each on its own keep-alive connection, send hybrid searches
//    (top_k 10, the section headings in turn) for --seconds; prints queries/s, p50, p90, p99.
// 4. Quality: every heading once per mode (keyword, vector, hybrid), top_k 10: MRR@10 (the
//    reciprocal rank of the first answer in the results, 0 when none is in the top 10).
// Prints one JSON object per line. Talks to loopback URLs only.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "harness/http_client.h"
#include "harness/multipart_body.h"

namespace {

using ingestd::itest::HttpClient;
using ingestd::itest::HttpRequest;
using ingestd::itest::HttpResponse;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

constexpr int kTopK = 10;

struct Options {
  std::string url, token;
  int clients = 16;
  int seconds = 20;
  std::vector<std::string> pdfs;
};

bool ParseArgs(int argc, char** argv, Options* o) {
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const bool has_value = i + 1 < argc;
    if (a == "--url" && has_value) {
      o->url = argv[++i];
    } else if (a == "--token" && has_value) {
      o->token = argv[++i];
    } else if (a == "--clients" && has_value) {
      o->clients = std::atoi(argv[++i]);
    } else if (a == "--seconds" && has_value) {
      o->seconds = std::atoi(argv[++i]);
    } else if (a.starts_with("--")) {
      return false;
    } else {
      o->pdfs.push_back(a);
    }
  }
  return o->url.starts_with("http://127.0.0.1:") && !o->token.empty() && !o->pdfs.empty() &&
         o->clients > 0 && o->clients <= 64 && o->seconds > 0;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

// Uploads every PDF and waits for its job; the document ids (empty on a failure, printed).
std::vector<std::string> Ingest(HttpClient& client, const Options& o) {
  std::vector<std::pair<std::string, std::string>> jobs;  // job, document
  for (const std::string& path : o.pdfs) {
    const std::string name = path.substr(path.rfind('/') + 1);
    const ingestd::itest::Multipart m =
        ingestd::itest::BuildMultipart("file", name, ReadFile(path));
    HttpResponse r = client.Send({.method = "POST",
                                  .target = "/api/v1/documents",
                                  .headers = {{"Content-Type", m.content_type}},
                                  .bearer = o.token,
                                  .body = m.body});
    if (r.status != 202 && r.status != 200) {
      std::fprintf(stderr, "upload %s: %s\n", name.c_str(), r.Describe().c_str());
      return {};
    }
    jobs.emplace_back(r.Json().value("job_id", ""), r.Json().value("document_id", ""));
  }
  std::vector<std::string> docs;
  for (const auto& [job, doc] : jobs) {
    for (;;) {
      const json view = client.Get("/api/v1/jobs/" + job, o.token).Json();
      const std::string state = view.is_object() ? view.value("state", "") : "";
      if (state == "done") break;
      if (state == "deadletter" || state.empty()) {
        std::fprintf(stderr, "job %s: %s\n", job.c_str(), view.dump().c_str());
        return {};
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    docs.push_back(doc);
  }
  return docs;
}

// Section heading → the ids of its chunks.
std::map<std::string, std::set<std::string>> Sections(HttpClient& client, const Options& o,
                                                      const std::vector<std::string>& docs,
                                                      size_t* chunks) {
  std::map<std::string, std::set<std::string>> sections;
  for (const std::string& doc : docs) {
    for (int offset = 0;; offset += 500) {
      const json page = client
                            .Get("/api/v1/documents/" + doc +
                                     "/chunks?limit=500&offset=" + std::to_string(offset),
                                 o.token)
                            .Json();
      const json list = page.is_object() ? page.value("chunks", json::array()) : json::array();
      for (const json& c : list) {
        ++*chunks;
        const std::string path = c.value("heading_path", "");
        const size_t cut = path.rfind(" > ");
        const std::string heading = cut == std::string::npos ? path : path.substr(cut + 3);
        if (!heading.empty()) sections[heading].insert(c.value("chunk_id", ""));
      }
      if (list.size() < 500) break;
    }
  }
  return sections;
}

HttpResponse Search(HttpClient& client, const std::string& token, const std::string& query,
                    const char* mode) {
  const json body = {{"query", query}, {"mode", mode}, {"top_k", kTopK}};
  return client.Send({.method = "POST",
                      .target = "/api/v1/search",
                      .headers = {{"Content-Type", "application/json"}},
                      .bearer = token,
                      .body = body.dump()});
}

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())))];
}

void Latency(const Options& o, const std::vector<std::string>& queries) {
  std::mutex mu;
  std::vector<double> ms;
  std::atomic<int> errors{0};
  std::atomic<size_t> next{0};
  const auto start = Clock::now();
  const auto end = start + std::chrono::seconds(o.seconds);
  std::vector<std::thread> threads;
  for (int t = 0; t < o.clients; ++t) {
    threads.emplace_back([&] {
      HttpClient client(o.url);
      std::vector<double> mine;
      while (Clock::now() < end) {
        const std::string& q = queries[next++ % queries.size()];
        const auto t0 = Clock::now();
        HttpResponse r = Search(client, o.token, q, "hybrid");
        mine.push_back(Seconds(Clock::now() - t0) * 1e3);
        if (r.status != 200) ++errors;
      }
      std::lock_guard lock(mu);
      ms.insert(ms.end(), mine.begin(), mine.end());
    });
  }
  for (auto& t : threads) t.join();
  const double wall = Seconds(Clock::now() - start);
  std::printf(
      "{\"bench\":\"http_search\",\"mode\":\"hybrid\",\"top_k\":%d,\"clients\":%d,"
      "\"queries\":%zu,\"errors\":%d,\"queries_per_s\":%.1f,\"p50_ms\":%.2f,\"p90_ms\":%.2f,"
      "\"p99_ms\":%.2f}\n",
      kTopK, o.clients, ms.size(), errors.load(), static_cast<double>(ms.size()) / wall,
      Percentile(ms, 0.5), Percentile(ms, 0.9), Percentile(ms, 0.99));
  std::fflush(stdout);
}

// MRR@10 of one mode over every section heading, the headings split among the clients.
void Quality(const Options& o, const std::map<std::string, std::set<std::string>>& sections,
             const char* mode) {
  std::vector<const std::pair<const std::string, std::set<std::string>>*> items;
  for (const auto& s : sections) items.push_back(&s);
  std::atomic<size_t> next{0};
  std::mutex mu;
  double rr_sum = 0;
  int hits_at_1 = 0, found = 0, errors = 0;
  std::vector<std::thread> threads;
  for (int t = 0; t < o.clients; ++t) {
    threads.emplace_back([&] {
      HttpClient client(o.url);
      for (size_t i; (i = next++) < items.size();) {
        const auto& [heading, answers] = *items[i];
        HttpResponse r = Search(client, o.token, heading, mode);
        int rank = 0;
        if (r.status == 200) {
          const json results = r.Json().value("results", json::array());
          for (size_t k = 0; k < results.size() && rank == 0; ++k) {
            if (answers.contains(results[k].value("chunk_id", ""))) rank = static_cast<int>(k) + 1;
          }
        }
        std::lock_guard lock(mu);
        errors += r.status != 200;
        if (rank > 0) {
          rr_sum += 1.0 / rank;
          ++found;
          hits_at_1 += rank == 1;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  const double n = static_cast<double>(items.size());
  std::printf(
      "{\"bench\":\"mrr\",\"mode\":\"%s\",\"queries\":%zu,\"errors\":%d,\"mrr_at_10\":%.4f,"
      "\"hit_at_1\":%.4f,\"hit_at_10\":%.4f}\n",
      mode, items.size(), errors, rr_sum / n, hits_at_1 / n, found / n);
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  if (!ParseArgs(argc, argv, &o)) {
    std::fprintf(stderr,
                 "usage: http_search_bench --url http://127.0.0.1:PORT --token JWT "
                 "[--clients 1..64] [--seconds N] PDF...\n");
    return 2;
  }
  HttpClient client(o.url);
  const auto t0 = Clock::now();
  const std::vector<std::string> docs = Ingest(client, o);
  if (docs.size() != o.pdfs.size()) return 1;
  const double ingest_s = Seconds(Clock::now() - t0);
  size_t chunks = 0;
  const auto sections = Sections(client, o, docs, &chunks);
  std::printf(
      "{\"bench\":\"ingest\",\"documents\":%zu,\"chunks\":%zu,\"sections\":%zu,"
      "\"ingest_s\":%.1f}\n",
      docs.size(), chunks, sections.size(), ingest_s);
  std::fflush(stdout);
  if (sections.empty()) return 1;
  std::vector<std::string> queries;
  for (const auto& s : sections) queries.push_back(s.first);
  Search(client, o.token, queries[0], "hybrid");  // the first search catches the index up
  Latency(o, queries);
  for (const char* mode : {"keyword", "vector", "hybrid"}) Quality(o, sections, mode);
  return 0;
}
