// fuzz_pdf: a seeded mutator over real PDFs that runs every mutant through the service's own
// path to the sandboxed ingestd-pdf helper (LocalPdfParser::Parse for a job's parse, CountPages
// for the upload-time count; both open the file and hand the helper its descriptor). MuPDF is
// not instrumented, so this is not libFuzzer: it checks that every outcome is a typed result
// and keeps what MuPDF could not survive (README.md here).
//
//   fuzz_pdf fuzz SECONDS SEED WORK_DIR CRASHERS_DIR REGRESS_DIR SEED_PDF|DIR...
//   fuzz_pdf replay PATH...
//
// fuzz: for SECONDS, picks a seed PDF, applies 1-4 mutations and runs it. A helper that died
// of a signal other than the runner's own kill (PDF_HELPER_CRASHED, PDF_SANDBOX_VIOLATION) or
// that ran out of time (PDF_TIMEOUT) is a finding: written to CRASHERS_DIR and, when a second
// run gives the same outcome, copied to REGRESS_DIR (replayed by `make test`). The mutant
// being run is WORK_DIR/current.pdf, so a crash of this (parent) process leaves it behind.
// Exits 1 on an untyped outcome.
// replay: runs every file once through both paths; exits 1 unless each outcome is typed.
#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/log.h"
#include "input_files.h"
#include "pdf/helper_runner.h"
#include "pdf/local_pdf_parser.h"
#include "pdf/pdf_errors.h"

namespace fs = std::filesystem;
using ingestd::Kind;
using ingestd::Status;
using namespace std::string_view_literals;

namespace {

// Tighter than a job's ParseLimits so that a hang costs seconds, not minutes; every seed
// (the R manuals but the 6 MB reference manual) parses well within them.
ingestd::pdf::HelperLimits FuzzLimits() {
  return {.cpu_seconds = 10, .memory_mb = 1024, .wall_millis = 30'000};
}

const std::set<std::string>& TypedCodes() {
  namespace p = ingestd::pdf;
  static const std::set<std::string> codes = {
      p::kPdfCorrupt,        p::kPdfEncrypted,     p::kPdfNoPages,
      p::kPdfTimeout,        p::kPdfMemoryLimit,   p::kPdfTooManyPages,
      p::kPdfOutputTooLarge, p::kPdfHelperCrashed, p::kPdfSandboxViolation};
  return codes;
}

// "parsed", a typed code, or "UNTYPED <status>" (a bug in the runner).
std::string Outcome(const Status& s) {
  if (s.ok()) return "parsed";
  if (s.kind() == Kind::kUnprocessable && !s.retryable() && TypedCodes().count(s.code()) &&
      !s.message().empty()) {
    return s.code();
  }
  return "UNTYPED " + s.ToString();
}

bool IsFinding(const Status& s) {
  namespace p = ingestd::pdf;
  return s.code() == p::kPdfHelperCrashed || s.code() == p::kPdfSandboxViolation ||
         s.code() == p::kPdfTimeout;
}

struct Run {
  Status parse, pages;
};

// Both service paths on the file at `path`. A failed spawn (EAGAIN on a busy machine) is
// retried: it says nothing about the document.
Run RunBoth(const std::string& path) {
  ingestd::pdf::LocalPdfParserOptions options;
  options.limits = FuzzLimits();
  ingestd::pdf::LocalPdfParser parser(options);
  ingestd::ParseInput in;
  in.pdf_path = path;
  ingestd::CallContext ctx;
  ctx.correlation_id = "fuzz";
  Run run;
  for (int attempt = 0; attempt < 5; ++attempt) {
    auto parsed = parser.Parse(in, ctx);
    auto pages = ingestd::pdf::CountPages(path);
    run = {parsed.ok() ? Status() : parsed.status(), pages.ok() ? Status() : pages.status()};
    if (!run.parse.retryable() && !run.pages.retryable()) break;
  }
  return run;
}

bool WriteFile(const fs::path& p, std::string_view data) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
  return static_cast<bool>(out.flush());
}

// --- the mutator ---------------------------------------------------------------------------

struct Seed {
  std::string name, bytes;
};

class Mutator {
 public:
  Mutator(uint64_t seed, const std::vector<Seed>& seeds) : rng_(seed), seeds_(seeds) {}

  // A mutant of a random seed; `what` names the seed and the mutations applied.
  std::string Next(std::string* what) {
    const Seed& seed = seeds_[Below(seeds_.size())];
    std::string buf = seed.bytes;
    *what = seed.name;
    for (size_t n = 1 + Below(4); n > 0; --n) *what += " " + Mutate(buf, /*depth=*/0);
    return buf;
  }

 private:
  size_t Below(size_t n) {
    return n == 0 ? 0 : std::uniform_int_distribution<size_t>(0, n - 1)(rng_);
  }
  bool OneIn(size_t n) { return Below(n) == 0; }

  std::string Mutate(std::string& buf, int depth) {
    switch (Below(depth > 0 ? 2 : 9)) {  // inside a stream: byte-level only
      case 0:
        return FlipBits(buf);
      case 1:
        return SetBytes(buf);
      case 2:
        return Truncate(buf);
      case 3:
        return Splice(buf);
      case 4:
        return DamageNumberAfter(buf, OneIn(2) ? "/Length" : "startxref", "length");
      case 5:
        return DamageXref(buf);
      case 6:
        return RenumberObject(buf);
      case 7:
        return AppendOverride(buf);
      default:
        return EditStream(buf, depth);
    }
  }

  std::string FlipBits(std::string& buf) {
    if (buf.empty()) return "flip(empty)";
    size_t k = 1 + Below(16);
    for (size_t i = 0; i < k; ++i) buf[Below(buf.size())] ^= static_cast<char>(1u << Below(8));
    return "flip(" + std::to_string(k) + ")";
  }

  std::string SetBytes(std::string& buf) {
    // The sv literal keeps the NUL (a plain literal's string_view would end at it).
    static constexpr std::string_view kBytes = "0 9<>()[]{}/R\n\r\\%-.\0\xff"sv;
    if (buf.empty()) return "set(empty)";
    size_t k = 1 + Below(8);
    for (size_t i = 0; i < k; ++i) buf[Below(buf.size())] = kBytes[Below(kBytes.size())];
    return "set(" + std::to_string(k) + ")";
  }

  std::string Truncate(std::string& buf) {
    // Half the cuts land in the last 4 KB, where the xref and trailer are.
    size_t at = OneIn(2) && buf.size() > 4096 ? buf.size() - Below(4096) : Below(buf.size() + 1);
    buf.resize(at);
    return "truncate(" + std::to_string(at) + ")";
  }

  std::string Splice(std::string& buf) {
    const std::string& other = seeds_[Below(seeds_.size())].bytes;
    size_t at = Below(buf.size() + 1), from = Below(other.size() + 1);
    if (OneIn(2)) {  // this head, the other's tail
      buf = buf.substr(0, at) + other.substr(from);
      return "splice(" + std::to_string(at) + "," + std::to_string(from) + ")";
    }
    size_t len = std::min<size_t>(other.size() - from, 1 + Below(65536));  // an insertion
    buf.insert(at, other, from, len);
    return "insert(" + std::to_string(at) + "," + std::to_string(len) + ")";
  }

  // Positions of every occurrence of `token`.
  static std::vector<size_t> FindAll(const std::string& buf, std::string_view token) {
    std::vector<size_t> at;
    for (size_t p = buf.find(token); p != std::string::npos; p = buf.find(token, p + 1)) {
      at.push_back(p);
    }
    return at;
  }

  int64_t HostileNumber(int64_t n) {
    static constexpr int64_t kValues[] = {0,          1,          -1,          2147483647,
                                          2147483648, 4294967296, 999999999999};
    switch (Below(4)) {
      case 0:
        return kValues[Below(std::size(kValues))];
      case 1:
        return n + 1 + static_cast<int64_t>(Below(16));
      case 2:
        return n - 1 - static_cast<int64_t>(Below(16));
      default:
        return n * 2;
    }
  }

  // Replaces the integer after a random `token` (e.g. /Length, startxref) with a hostile one.
  std::string DamageNumberAfter(std::string& buf, std::string_view token, const char* name) {
    std::vector<size_t> at = FindAll(buf, token);
    if (at.empty()) return std::string(name) + "(none)";
    size_t p = at[Below(at.size())] + token.size();
    while (p < buf.size() && (buf[p] == ' ' || buf[p] == '\n' || buf[p] == '\r')) ++p;
    size_t end = p;
    while (end < buf.size() &&
           (std::isdigit(static_cast<unsigned char>(buf[end])) || buf[end] == '-')) {
      ++end;
    }
    int64_t old = std::strtoll(buf.substr(p, end - p).c_str(), nullptr, 10);
    std::string now = std::to_string(HostileNumber(old));
    buf.replace(p, end - p, now);
    return std::string(name) + "(" + std::string(token) + " " + std::to_string(old) + "->" + now +
           ")";
  }

  // The xref stream's or table's own structure: /W, /Index, /Size, /Prev, /First, /N, the
  // "xref" keyword, or a table entry's type.
  std::string DamageXref(std::string& buf) {
    static constexpr std::string_view kKeys[] = {"/W [",  "/W[",   "/Index [", "/Index[",
                                                 "/Size", "/Prev", "/First",   "/N "};
    switch (Below(3)) {
      case 0:
        return DamageNumberAfter(buf, kKeys[Below(std::size(kKeys))], "xref");
      case 1: {
        std::vector<size_t> at = FindAll(buf, "xref");
        if (at.empty()) return "xref(none)";
        buf.replace(at[Below(at.size())], 4, "xrfe");
        return "xref(keyword)";
      }
      default: {
        std::vector<size_t> at = FindAll(buf, " n\r\n");
        if (at.empty()) at = FindAll(buf, " n \n");
        if (at.empty()) return "xref(no table)";
        buf[at[Below(at.size())] + 1] = OneIn(2) ? 'f' : 'x';
        return "xref(entry)";
      }
    }
  }

  // Object numbers of "N G obj" headers, with the offset of N.
  static std::vector<std::pair<size_t, int64_t>> ObjectHeaders(const std::string& buf) {
    std::vector<std::pair<size_t, int64_t>> headers;
    for (size_t p : FindAll(buf, " obj")) {
      size_t g = p;  // back over " G" then " N"
      while (g > 0 && std::isdigit(static_cast<unsigned char>(buf[g - 1]))) --g;
      if (g == p || g < 2 || buf[g - 1] != ' ') continue;
      size_t n = g - 1;
      while (n > 0 && std::isdigit(static_cast<unsigned char>(buf[n - 1]))) --n;
      if (n == g - 1) continue;
      headers.push_back({n, std::strtoll(buf.c_str() + n, nullptr, 10)});
    }
    return headers;
  }

  // Object-number games on headers and references: a duplicate or huge number, a reference
  // to itself, to object 0, or to nothing.
  std::string RenumberObject(std::string& buf) {
    auto headers = ObjectHeaders(buf);
    if (headers.empty()) return "renumber(none)";
    int64_t target = headers[Below(headers.size())].second;
    if (OneIn(2)) {
      auto [pos, old] = headers[Below(headers.size())];
      std::string now = std::to_string(OneIn(2) ? target : HostileNumber(old));
      buf.replace(pos, std::to_string(old).size(), now);
      return "renumber(obj " + std::to_string(old) + "->" + now + ")";
    }
    std::vector<size_t> refs = FindAll(buf, " 0 R");
    if (refs.empty()) return "renumber(no refs)";
    size_t end = refs[Below(refs.size())], start = end;
    while (start > 0 && std::isdigit(static_cast<unsigned char>(buf[start - 1]))) --start;
    std::string now = std::to_string(OneIn(2) ? target : HostileNumber(target));
    buf.replace(start, end - start, now);
    return "renumber(ref ->" + now + ")";
  }

  // An incremental update that redefines an existing object with a hostile body (a cycle in
  // the page tree, a self reference, an object stream that lies), behind a broken startxref
  // so that MuPDF's repair reads it.
  std::string AppendOverride(std::string& buf) {
    auto headers = ObjectHeaders(buf);
    int64_t n = headers.empty() ? 1 : headers[Below(headers.size())].second;
    const std::string r = std::to_string(n) + " 0 R";
    const std::string bodies[] = {
        "<</Type/Pages/Kids[" + r + "]/Count 1>>",
        "<</Type/Page/Parent " + r + "/Contents " + r + "/Resources " + r + ">>",
        "[" + r + " " + r + "]",
        r,
        "<</Type/Pages/Kids[" + r + " " + r + "]/Count 2147483647>>",
        "<</Type/ObjStm/N 99999/First 1/Length 12>>stream\n1 0 2 99999 \nendstream",
        "<</Length 99999999/Filter/FlateDecode>>stream\nx\nendstream",
        "<</Type/Font/Subtype/Type0/DescendantFonts[" + r + "]/Encoding/Identity-H>>"};
    size_t which = Below(std::size(bodies));
    buf += "\n" + std::to_string(n) + " 0 obj\n" + bodies[which] + "\nendobj\nstartxref\n" +
           std::to_string(Below(buf.size())) + "\n%%EOF\n";
    return "override(" + std::to_string(n) + "," + std::to_string(which) + ")";
  }

  // Inflates a random FlateDecode stream, mutates the decoded bytes (content operators, an
  // object stream's offsets, font programs), deflates it back and sometimes fixes /Length.
  std::string EditStream(std::string& buf, int depth) {
    std::vector<size_t> at = FindAll(buf, "stream\n");
    if (at.empty()) return "stream(none)";
    size_t body = at[Below(at.size())] + 7;
    if (body >= 10 && buf.compare(body - 10, 3, "end") == 0) return "stream(end)";
    size_t dict = buf.rfind("/Length", body);
    if (dict == std::string::npos || body - dict > 512) return "stream(no length)";
    size_t p = dict + 7;
    while (p < body && buf[p] == ' ') ++p;
    size_t len_end = p;
    while (len_end < body && std::isdigit(static_cast<unsigned char>(buf[len_end]))) ++len_end;
    if (len_end == p || (len_end + 2 < body && buf.compare(len_end, 2, " 0") == 0 &&
                         buf.find('R', len_end) < body)) {
      return "stream(indirect length)";
    }
    size_t len = std::strtoull(buf.c_str() + p, nullptr, 10);
    if (body + len > buf.size()) return "stream(short)";
    std::string plain;
    if (!Inflate(std::string_view(buf).substr(body, len), &plain)) return "stream(not flate)";
    std::string what = Mutate(plain, depth + 1);
    if (OneIn(4)) what += " " + RenumberObject(plain);  // object streams hold numbers
    std::string packed = Deflate(plain);
    buf.replace(body, len, packed);
    if (!OneIn(4)) buf.replace(p, len_end - p, std::to_string(packed.size()));
    return "stream[" + what + "]";
  }

  static bool Inflate(std::string_view in, std::string* out) {
    z_stream z{};
    if (inflateInit(&z) != Z_OK) return false;
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    z.avail_in = static_cast<uInt>(in.size());
    char chunk[65536];
    int rc = Z_OK;
    while (rc == Z_OK && out->size() < (64u << 20)) {
      z.next_out = reinterpret_cast<Bytef*>(chunk);
      z.avail_out = sizeof chunk;
      rc = inflate(&z, Z_NO_FLUSH);
      out->append(chunk, sizeof chunk - z.avail_out);
    }
    inflateEnd(&z);
    return rc == Z_STREAM_END;
  }

  static std::string Deflate(const std::string& in) {
    uLongf size = compressBound(static_cast<uLong>(in.size()));
    std::string out(size, '\0');
    compress(reinterpret_cast<Bytef*>(out.data()), &size, reinterpret_cast<const Bytef*>(in.data()),
             static_cast<uLong>(in.size()));
    out.resize(size);
    return out;
  }

  std::mt19937_64 rng_;
  const std::vector<Seed>& seeds_;
};

uint64_t Fnv1a(std::string_view data) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : data) h = (h ^ c) * 1099511628211ull;
  return h;
}

// A file name for a finding: what happened (hang, sigsys, crash-SEGV, ...), the seed, and a
// hash of how the mutant was made.
std::string FindingName(const Status& s, const std::string& what) {
  namespace p = ingestd::pdf;
  std::string kind = s.code() == p::kPdfTimeout            ? "hang"
                     : s.code() == p::kPdfSandboxViolation ? "sigsys"
                     : s.code() == p::kPdfHelperCrashed    ? "crash"
                                                           : "untyped";
  if (size_t sig = s.message().find("signal "); kind == "crash" && sig != std::string::npos) {
    std::string name = s.message().substr(sig + 7);
    kind += "-" + name.substr(0, name.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"));
  }
  std::string seed = what.substr(0, what.find(' '));
  seed = seed.substr(0, seed.rfind('.'));
  char hash[17];
  std::snprintf(hash, sizeof hash, "%016llx", static_cast<unsigned long long>(Fnv1a(what)));
  return kind + "-" + seed + "-" + hash + ".pdf";
}

int Fuzz(int seconds, uint64_t rng_seed, const fs::path& work, const fs::path& crashers,
         const fs::path& regress, const std::vector<std::string>& seed_paths) {
  std::vector<Seed> seeds;
  for (const fs::path& f : ingestd::fuzz::InputFiles(seed_paths))
    seeds.push_back({f.filename().string(), ingestd::fuzz::ReadInput(f)});
  if (seeds.empty()) {
    std::fprintf(stderr, "fuzz_pdf: no seed PDFs\n");
    return 2;
  }
  fs::create_directories(work);
  fs::create_directories(crashers);
  fs::create_directories(regress);
  const fs::path current = work / "current.pdf";
  const bool verbose = std::getenv("FUZZ_PDF_VERBOSE") != nullptr;  // each input's outcome
  Mutator mutator(rng_seed, seeds);
  std::map<std::string, int> outcomes;
  std::vector<std::string> findings;
  int64_t inputs = 0, untyped = 0;
  const auto start = std::chrono::steady_clock::now();
  const auto deadline = start + std::chrono::seconds(seconds);
  while (std::chrono::steady_clock::now() < deadline) {
    std::string what;
    const std::string mutant = mutator.Next(&what);
    if (!WriteFile(current, mutant)) {
      std::fprintf(stderr, "fuzz_pdf: cannot write %s\n", current.c_str());
      return 2;
    }
    Run run = RunBoth(current);
    ++inputs;
    if (verbose) {
      std::fprintf(stderr, "%s | %s | %s\n", what.c_str(), run.parse.ToString().c_str(),
                   run.pages.ToString().c_str());
    }
    for (const Status* s : {&run.parse, &run.pages}) {
      std::string outcome = Outcome(*s);
      ++outcomes[(s == &run.parse ? "parse " : "pages ") + outcome];
      if (outcome.starts_with("UNTYPED")) {
        ++untyped;
        std::fprintf(stderr, "UNTYPED outcome on [%s]: %s\n", what.c_str(), s->ToString().c_str());
      }
      if (!IsFinding(*s) && !outcome.starts_with("UNTYPED")) continue;
      std::string name = FindingName(*s, what);
      // A second run tells a reproducible crash from a machine that was too busy.
      const Run rerun = RunBoth(current);
      const bool again = Outcome(s == &run.parse ? rerun.parse : rerun.pages) == outcome;
      WriteFile(crashers / name, mutant);
      // Only what reproduces goes to make test: a hang of a busy machine would slow every run.
      if (again) {
        fs::copy_file(crashers / name, regress / ("regress-" + name),
                      fs::copy_options::overwrite_existing);
      }
      findings.push_back(name + "  " + s->ToString() + (again ? "" : " (not reproduced)") + "  [" +
                         what + "]");
      std::fprintf(stderr, "finding: %s\n", findings.back().c_str());
      break;
    }
  }
  fs::remove(current);
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("fuzz_pdf: %zu seeds, rng seed %llu\n", seeds.size(),
              static_cast<unsigned long long>(rng_seed));
  for (const auto& [outcome, count] : outcomes) std::printf("  %6d  %s\n", count, outcome.c_str());
  for (const std::string& f : findings) std::printf("finding: %s\n", f.c_str());
  // The line run.sh reads for its summary table.
  std::printf("stat::pdf inputs %lld exec_per_sec %.2f outcomes %zu findings %zu untyped %lld\n",
              static_cast<long long>(inputs), inputs / secs, outcomes.size(), findings.size(),
              static_cast<long long>(untyped));
  return untyped == 0 ? 0 : 1;
}

int Replay(const std::vector<std::string>& paths) {
  const std::vector<fs::path> files = ingestd::fuzz::InputFiles(paths);
  int bad = 0;
  for (const fs::path& f : files) {
    Run run = RunBoth(f);
    std::string parse = Outcome(run.parse), pages = Outcome(run.pages);
    std::printf("%s: parse %s, pages %s\n", f.c_str(), parse.c_str(), pages.c_str());
    bad += parse.starts_with("UNTYPED") || pages.starts_with("UNTYPED");
  }
  std::printf("fuzz_pdf: %zu inputs replayed, %d untyped\n", files.size(), bad);
  return files.empty() || bad > 0 ? 1 : 0;  // an empty list means the paths are wrong
}

}  // namespace

int main(int argc, char** argv) {
  ingestd::log::SetMinLevel(ingestd::log::Level::kError);
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.size() >= 7 && args[0] == "fuzz") {
    return Fuzz(std::atoi(args[1].c_str()), std::strtoull(args[2].c_str(), nullptr, 10), args[3],
                args[4], args[5], {args.begin() + 6, args.end()});
  }
  if (args.size() >= 2 && args[0] == "replay") return Replay({args.begin() + 1, args.end()});
  std::fprintf(stderr,
               "usage: %s fuzz SECONDS SEED WORK_DIR CRASHERS_DIR REGRESS_DIR SEED_PDF|DIR...\n"
               "       %s replay PATH...\n",
               argv[0], argv[0]);
  return 2;
}
