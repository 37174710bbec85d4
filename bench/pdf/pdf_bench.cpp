// Pages per second through the helper (spawn, limits, sandbox, MuPDF, markdown, pipe), one
// document after another, as a worker does. Prints one line per document and a total:
//   pdf_bench [--rounds N] [--sandbox=on|off|both] FILE...
// Each line is "FILE PAGES SECONDS" with the sandbox on (the default) or off. With both, each
// round parses the document sandboxed and unsandboxed back to back (alternating which goes
// first, so both see the same machine load) and the line is "FILE PAGES SECONDS_ON SECONDS_OFF
// MEDIAN_MS", MEDIAN_MS being the median over rounds of (sandboxed - unsandboxed) time: the
// sandbox's cost per document, less disturbed by the other load than the sums.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "core/log.h"
#include "pdf/helper_runner.h"

namespace {

// Seconds one parse took, or a negative number (after printing why) when it failed.
double TimeParse(const std::string& file, bool sandbox, long* pages) {
  ingestd::pdf::HelperOptions options;
  options.sandbox = sandbox;
  auto start = std::chrono::steady_clock::now();
  auto out = ingestd::pdf::RunHelper(ingestd::pdf::HelperMode::kMarkdown, file,
                                     ingestd::pdf::ParseLimits(), options);
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!out.ok()) {
    std::fprintf(stderr, "%s (sandbox %s): %s\n", file.c_str(), sandbox ? "on" : "off",
                 out.status().ToString().c_str());
    return -1;
  }
  *pages += out->page_count;
  return s;
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

}  // namespace

int main(int argc, char** argv) {
  int rounds = 1;
  std::string sandbox = "on";
  std::vector<std::string> files;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--rounds" && i + 1 < argc) {
      rounds = std::atoi(argv[++i]);
    } else if (a.starts_with("--sandbox=")) {
      sandbox = a.substr(10);
    } else {
      files.push_back(a);
    }
  }
  if (files.empty() || rounds < 1 || (sandbox != "on" && sandbox != "off" && sandbox != "both")) {
    std::fprintf(stderr, "usage: pdf_bench [--rounds N] [--sandbox=on|off|both] FILE...\n");
    return 2;
  }
  // The runner logs each change of isolation, which alternating on and off would flood.
  ingestd::log::SetMinLevel(ingestd::log::Level::kError);
  const bool both = sandbox == "both";
  long total_pages = 0;
  double total_on = 0, total_off = 0;
  std::vector<double> all_diffs;
  for (const std::string& f : files) {
    long pages = 0, pages_off = 0;
    double on = 0, off = 0;
    std::vector<double> diffs;
    for (int r = 0; r < rounds; ++r) {
      if (!both) {
        double s = TimeParse(f, sandbox == "on", &pages);
        if (s < 0) return 1;
        on += s;
        continue;
      }
      double s_on, s_off;
      if (r % 2 == 0) {
        s_on = TimeParse(f, true, &pages);
        s_off = TimeParse(f, false, &pages_off);
      } else {
        s_off = TimeParse(f, false, &pages_off);
        s_on = TimeParse(f, true, &pages);
      }
      if (s_on < 0 || s_off < 0) return 1;
      on += s_on;
      off += s_off;
      diffs.push_back(s_on - s_off);
    }
    total_pages += pages;
    total_on += on;
    total_off += off;
    if (both) {
      std::printf("%s %ld %.4f %.4f %.2f\n", f.c_str(), pages, on, off, Median(diffs) * 1000);
      all_diffs.insert(all_diffs.end(), diffs.begin(), diffs.end());
    } else {
      std::printf("%s %ld %.4f\n", f.c_str(), pages, on);
    }
  }
  if (both) {
    std::printf("TOTAL %ld %.4f %.4f %.2f\n", total_pages, total_on, total_off,
                Median(all_diffs) * 1000);
  } else {
    std::printf("TOTAL %ld %.4f\n", total_pages, total_on);
  }
  return 0;
}
