// End-to-end throughput in mock mode: uploads --docs unique copies of a PDF through the
// one-shot endpoint from --clients threads, then polls the job list until every job is
// done (or dead-lettered, or --timeout-s passes). Prints one machine-readable line:
//   E2E docs=N clients=C accept_s=… total_s=… docs_per_s=… done=… deadletter=… rejected=…
// Exit status 0 only when every document completed. Talks to loopback URLs only.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "harness/http_client.h"
#include "harness/multipart_body.h"

namespace {

using ingestd::itest::HttpClient;
using ingestd::itest::HttpResponse;
using Clock = std::chrono::steady_clock;

struct Options {
  std::string url;
  std::string token;
  std::string pdf;
  int docs = 200;
  int clients = 4;
  int timeout_s = 300;
};

bool ParseArgs(int argc, char** argv, Options* o) {
  if (argc % 2 != 1) return false;  // every flag takes a value
  for (int i = 1; i < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--url") {
      o->url = v;
    } else if (k == "--token") {
      o->token = v;
    } else if (k == "--pdf") {
      o->pdf = v;
    } else if (k == "--docs") {
      o->docs = std::atoi(v.c_str());
    } else if (k == "--clients") {
      o->clients = std::atoi(v.c_str());
    } else if (k == "--timeout-s") {
      o->timeout_s = std::atoi(v.c_str());
    } else {
      return false;
    }
  }
  return o->url.starts_with("http://127.0.0.1:") && !o->token.empty() && !o->pdf.empty() &&
         o->docs > 0 && o->docs <= 500 && o->clients > 0 && o->clients <= 64 && o->timeout_s > 0;
}

// Jobs of this user in one queue state (the list endpoint caps limit at 500).
int CountJobs(HttpClient& client, const std::string& token, const std::string& state) {
  HttpResponse r = client.Get("/api/v1/jobs?state=" + state + "&limit=500", token);
  auto j = r.Json();
  if (r.status != 200 || !j.is_object() || !j["jobs"].is_array()) return -1;
  return static_cast<int>(j["jobs"].size());
}

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

}  // namespace

int main(int argc, char** argv) {
  Options o;
  if (!ParseArgs(argc, argv, &o)) {
    std::fprintf(stderr,
                 "usage: e2e_bench --url http://127.0.0.1:PORT --token JWT --pdf FILE "
                 "[--docs 1..500] [--clients 1..64] [--timeout-s N]\n");
    return 2;
  }
  std::ifstream in(o.pdf, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string pdf = ss.str();
  if (pdf.empty()) {
    std::fprintf(stderr, "cannot read %s\n", o.pdf.c_str());
    return 2;
  }

  const auto start = Clock::now();
  std::vector<int> rejected(o.clients, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < o.clients; ++t) {
    threads.emplace_back([&, t] {
      HttpClient client(o.url);
      for (int i = t; i < o.docs; i += o.clients) {
        // A trailing comment after %%EOF: same document, unique bytes, so no dedupe.
        auto part =
            ingestd::itest::BuildMultipart("file", "bench-" + std::to_string(i) + ".pdf",
                                           pdf + "\n%e2e-bench " + std::to_string(i) + "\n");
        HttpResponse r = client.Send({.method = "POST",
                                      .target = "/api/v1/documents",
                                      .headers = {{"Content-Type", part.content_type}},
                                      .bearer = o.token,
                                      .body = part.body});
        if (r.status != 202) {
          ++rejected[t];
          std::fprintf(stderr, "upload %d: %s\n", i, r.Describe().c_str());
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  const auto accepted = Clock::now();
  int total_rejected = 0;
  for (int r : rejected) total_rejected += r;

  HttpClient client(o.url);
  const int expected = o.docs - total_rejected;
  int done = 0, dead = 0;
  const auto deadline = start + std::chrono::seconds(o.timeout_s);
  while (Clock::now() < deadline) {
    done = CountJobs(client, o.token, "done");
    dead = CountJobs(client, o.token, "deadletter");
    if (done >= 0 && dead >= 0 && done + dead >= expected) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  const auto finished = Clock::now();
  const double total_s = Seconds(finished - start);
  std::printf(
      "E2E docs=%d clients=%d accept_s=%.3f total_s=%.3f docs_per_s=%.2f done=%d "
      "deadletter=%d rejected=%d\n",
      o.docs, o.clients, Seconds(accepted - start), total_s, done > 0 ? done / total_s : 0.0, done,
      dead, total_rejected);
  return done == o.docs ? 0 : 1;
}
