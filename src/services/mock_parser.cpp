#include "services/mock_parser.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <fstream>
#include <optional>

#include "core/crypto.h"
#include "services/det_random.h"
#include "services/pdf_pages.h"

namespace ingestd {
namespace {

constexpr std::array<std::string_view, 48> kWords = {
    "data",    "document", "vector",  "parse",    "chunk",    "model",    "index",    "query",
    "result",  "system",   "service", "process",  "value",    "table",    "function", "package",
    "manual",  "section",  "example", "method",   "object",   "stream",   "page",     "number",
    "string",  "memory",   "request", "response", "budget",   "worker",   "queue",    "lease",
    "retry",   "signal",   "report",  "summary",  "analysis", "variable", "argument", "interface",
    "library", "format",   "the",     "a",        "of",       "and",      "with",     "between"};

std::string Sentence(SplitMix64& rng, int words) {
  std::string s;
  for (int i = 0; i < words; ++i) {
    std::string_view w = kWords[rng.Next() % kWords.size()];
    if (i > 0) s.push_back(' ');
    s.append(w);
    if (i == 0) s[s.size() - w.size()] = static_cast<char>(std::toupper(w[0]));
  }
  s.push_back('.');
  return s;
}

std::string Paragraph(SplitMix64& rng) {
  const bool long_one = rng.Between(1, 8) == 1;
  int words = long_one ? rng.Between(330, 480) : rng.Between(8, 120);
  std::string p;
  while (words > 0) {
    int n = std::min(words, rng.Between(6, 16));
    if (!p.empty()) p.push_back(' ');
    p += Sentence(rng, n);
    words -= n;
  }
  return p;
}

void AppendPage(std::string& md, uint64_t doc_hash, int page) {
  SplitMix64 rng(doc_hash ^ (0x9e3779b97f4a7c15ull * static_cast<uint64_t>(page)));
  md += "# Page " + std::to_string(page) + "\n\n";
  const int paragraphs = rng.Between(2, 5);
  int section = 0;
  for (int i = 0; i < paragraphs; ++i) {
    if (i > 0 && rng.Between(1, 3) == 1) {
      md += "## Section " + std::to_string(page) + "." + std::to_string(++section) + "\n\n";
    }
    md += Paragraph(rng) + "\n\n";
  }
}

std::optional<std::string> ReadFile(const std::string& path) {
  std::ifstream file(path, std::ios::binary | std::ios::ate);
  if (!file) return std::nullopt;
  std::string bytes(static_cast<size_t>(file.tellg()), '\0');
  file.seekg(0);
  if (!file.read(bytes.data(), static_cast<std::streamsize>(bytes.size()))) return std::nullopt;
  return bytes;
}

}  // namespace

MockParser::MockParser(FaultOptions faults) : faults_(faults, "parse") {}

Result<ParseOutput> MockParser::ParseBytes(std::string_view pdf) {
  if (pdf.substr(0, 5) != "%PDF-") {
    return Status::Error(Kind::kUnprocessable, "PARSE_NOT_A_PDF",
                         "the file does not start with %PDF-", false);
  }
  ParseOutput out;
  out.page_count = CountPdfPages(pdf);
  out.implementation = "mock";
  const uint64_t doc_hash = Fnv1a64(pdf);
  for (int page = 1; page <= out.page_count; ++page) AppendPage(out.markdown, doc_hash, page);
  return out;
}

Result<ParseOutput> MockParser::Parse(const ParseInput& in, const CallContext& /*ctx*/) {
  if (Status fault = faults_.BeforeCall(in.filename); !fault.ok()) return fault;
  std::optional<std::string> bytes = ReadFile(in.pdf_path);
  if (!bytes) return Status::Internal("PARSE_INPUT_UNREADABLE", "the stored PDF could not be read");
  return ParseBytes(*bytes);
}

}  // namespace ingestd
