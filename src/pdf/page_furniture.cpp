#include "pdf/page_furniture.h"

#include <algorithm>
#include <cctype>
#include <cmath>

namespace ingestd::pdf {

namespace {

constexpr int kWindow = 4;              // pages either side searched for the same line
constexpr int kEdgeLines = 2;           // lines taken from the top and from the bottom
constexpr float kBandFraction = 0.12f;  // margin band height, as a share of the page
constexpr float kSameHeight = 8.0f;     // points: "at about the same height"
constexpr float kSamePlace = 1.0f;      // points: "exactly where"

struct Candidate {
  TextLine* line;
  std::string key;
  bool repeated = false;
};

// A roman numeral up to 89 ("i" … "lxxxix"), as front-matter pages use.
bool IsRoman(std::string_view s) {
  static constexpr std::string_view kTens[] = {"",  "x",  "xx",  "xxx", "xl",
                                               "l", "lx", "lxx", "lxxx"};
  static constexpr std::string_view kOnes[] = {"",  "i",  "ii",  "iii",  "iv",
                                               "v", "vi", "vii", "viii", "ix"};
  for (int t = 8; t >= 0; --t) {
    if (!s.starts_with(kTens[t])) continue;
    std::string_view rest = s.substr(kTens[t].size());
    for (std::string_view one : kOnes) {
      if (rest == one && !s.empty()) return true;
    }
  }
  return false;
}

// "12", "- 12 -", "Page 3", "page 3 of 9", "xii".
bool IsPageNumber(std::string_view text) {
  std::string compact;  // letters and digits, lowercased
  for (unsigned char c : text) {
    if (std::isalnum(c)) compact.push_back(static_cast<char>(std::tolower(c)));
  }
  std::string_view s = compact;
  if (IsRoman(s)) return true;
  if (s.starts_with("page")) s.remove_prefix(4);
  auto digits = [&s] {
    size_t n = 0;
    while (n < s.size() && std::isdigit(static_cast<unsigned char>(s[n]))) ++n;
    s.remove_prefix(n);
    return n > 0;
  };
  if (!digits()) return false;
  if (s.starts_with("of")) {
    s.remove_prefix(2);
    if (!digits()) return false;
  }
  return s.empty();
}

bool SamePlace(const TextLine& a, const TextLine& b) {
  return std::fabs(a.bbox.y0 - b.bbox.y0) <= kSamePlace &&
         std::fabs(a.bbox.y1 - b.bbox.y1) <= kSamePlace && std::fabs(a.size - b.size) < 0.5f;
}

std::vector<Candidate> EdgeLines(PageLayout& page) {
  std::vector<TextLine*> lines;
  for (TextBlock& b : page.blocks) {
    for (TextLine& l : b.lines) lines.push_back(&l);
  }
  std::sort(lines.begin(), lines.end(),
            [](const TextLine* a, const TextLine* b) { return a->bbox.y0 < b->bbox.y0; });
  float band = page.height * kBandFraction;
  std::vector<Candidate> out;
  for (size_t i = 0; i < lines.size(); ++i) {
    bool top = static_cast<int>(i) < kEdgeLines && lines[i]->bbox.y1 <= band;
    bool bottom = i + kEdgeLines >= lines.size() && lines[i]->bbox.y0 >= page.height - band;
    if (!top && !bottom) continue;
    out.push_back({lines[i], FurnitureKey(lines[i]->text)});
  }
  return out;
}

}  // namespace

std::string FurnitureKey(std::string_view text) {
  std::string key;
  for (unsigned char c : text) {
    if (std::isalpha(c)) {
      key.push_back(static_cast<char>(std::tolower(c)));
    } else if (c >= 0x80) {
      key.push_back(static_cast<char>(c));  // keep non-ASCII letters as they are
    }
  }
  return key;
}

void RemovePageFurniture(std::vector<PageLayout>* pages) {
  std::vector<std::vector<Candidate>> edges;
  edges.reserve(pages->size());
  for (PageLayout& page : *pages) edges.push_back(EdgeLines(page));
  const int n = static_cast<int>(edges.size());
  auto nearby = [n](int p, auto&& visit) {
    for (int q = std::max(0, p - kWindow); q <= std::min(n - 1, p + kWindow); ++q) {
      if (q != p) visit(q);
    }
  };
  for (int p = 0; p < n; ++p) {
    for (Candidate& c : edges[p]) {
      if (c.key.empty()) continue;
      nearby(p, [&](int q) {
        for (const Candidate& o : edges[q]) {
          c.repeated = c.repeated || (o.key == c.key &&
                                      std::fabs(o.line->bbox.y0 - c.line->bbox.y0) <= kSameHeight);
        }
      });
    }
  }
  for (int p = 0; p < n; ++p) {
    for (Candidate& c : edges[p]) {
      int same_place = 0;
      nearby(p, [&](int q) {
        same_place += std::any_of(edges[q].begin(), edges[q].end(), [&](const Candidate& o) {
          return o.repeated && SamePlace(*o.line, *c.line);
        });
      });
      c.line->removed = IsPageNumber(c.line->text) || c.repeated || same_place >= 2;
    }
  }
}

}  // namespace ingestd::pdf
