// Pages per second through the sandboxed helper (spawn, limits, MuPDF, markdown, pipe), one
// document after another, as a worker does. Prints one line per document and a total:
//   pdf_bench [--rounds N] FILE...
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "pdf/helper_runner.h"

int main(int argc, char** argv) {
  int rounds = 1;
  std::vector<std::string> files;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--rounds" && i + 1 < argc) {
      rounds = std::atoi(argv[++i]);
    } else {
      files.push_back(a);
    }
  }
  if (files.empty() || rounds < 1) {
    std::fprintf(stderr, "usage: pdf_bench [--rounds N] FILE...\n");
    return 2;
  }
  using Clock = std::chrono::steady_clock;
  long total_pages = 0;
  double total_s = 0;
  for (const std::string& f : files) {
    long pages = 0;
    auto start = Clock::now();
    for (int r = 0; r < rounds; ++r) {
      auto out = ingestd::pdf::RunHelper(ingestd::pdf::HelperMode::kMarkdown, f,
                                         ingestd::pdf::ParseLimits());
      if (!out.ok()) {
        std::fprintf(stderr, "%s: %s\n", f.c_str(), out.status().ToString().c_str());
        return 1;
      }
      pages += out->page_count;
    }
    double s = std::chrono::duration<double>(Clock::now() - start).count();
    std::printf("%s %ld %.4f\n", f.c_str(), pages, s);
    total_pages += pages;
    total_s += s;
  }
  std::printf("TOTAL %ld %.4f\n", total_pages, total_s);
  return 0;
}
