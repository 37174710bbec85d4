#include "services/pdf_pages.h"

#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <string>

namespace ingestd {
namespace {

constexpr size_t kMaxInflatedPerStream = 16u << 20;
constexpr size_t kMaxInflatedTotal = 256u << 20;

bool IsPdfWhitespace(char c) {
  return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\f' || c == '\0';
}

// Positions just past each "/Type <ws>* /<name>" whose name is exactly `name`.
template <typename Fn>
void ForEachType(std::string_view data, std::string_view name, Fn fn) {
  constexpr std::string_view kType = "/Type";
  for (size_t pos = data.find(kType); pos != std::string_view::npos;
       pos = data.find(kType, pos + 1)) {
    size_t p = pos + kType.size();
    while (p < data.size() && IsPdfWhitespace(data[p])) ++p;
    if (p >= data.size() || data[p] != '/') continue;
    if (data.substr(p + 1, name.size()) != name) continue;
    size_t end = p + 1 + name.size();
    if (end < data.size() && std::isalnum(static_cast<unsigned char>(data[end]))) continue;
    fn(end);
  }
}

int CountPageDicts(std::string_view data) {
  int n = 0;
  ForEachType(data, "Page", [&](size_t) { ++n; });
  return n;
}

// Inflates the zlib stream starting at data[0], stopping at its end, on error or at cap.
std::string Inflate(std::string_view data, size_t cap) {
  std::string out;
  z_stream zs{};
  if (inflateInit(&zs) != Z_OK) return out;
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(std::min<size_t>(data.size(), UINT32_MAX));
  char buf[16384];
  int rc = Z_OK;
  while (rc == Z_OK && out.size() < cap) {
    zs.next_out = reinterpret_cast<Bytef*>(buf);
    zs.avail_out = sizeof(buf);
    rc = inflate(&zs, Z_NO_FLUSH);
    out.append(buf, sizeof(buf) - zs.avail_out);
    if (zs.avail_out == sizeof(buf)) break;  // no progress: truncated input
  }
  inflateEnd(&zs);
  return out;
}

}  // namespace

int CountPdfPages(std::string_view pdf) {
  int pages = CountPageDicts(pdf);
  size_t inflated_total = 0;
  ForEachType(pdf, "ObjStm", [&](size_t after) {
    if (inflated_total >= kMaxInflatedTotal) return;
    size_t s = pdf.find("stream", after);
    if (s == std::string_view::npos) return;
    s += 6;
    if (s < pdf.size() && pdf[s] == '\r') ++s;
    if (s < pdf.size() && pdf[s] == '\n') ++s;
    std::string body =
        Inflate(pdf.substr(s), std::min(kMaxInflatedPerStream, kMaxInflatedTotal - inflated_total));
    inflated_total += body.size();
    pages += CountPageDicts(body);
  });
  return std::clamp(pages, 1, kMaxMockPages);
}

}  // namespace ingestd
