#include "pdf/text_join.h"

#include <algorithm>
#include <cctype>

namespace ingestd::pdf {

namespace {

constexpr std::string_view kSoftHyphen = "\xC2\xAD";
constexpr std::string_view kUnicodeHyphen = "\xE2\x80\x90";
constexpr std::string_view kBullets[] = {
    "\xE2\x80\xA2",  // • bullet
    "\xE2\x97\xA6",  // ◦ white bullet
    "\xE2\x96\xAA",  // ▪ small square
    "\xE2\x80\xA3",  // ‣ triangular bullet
    "\xC2\xB7",      // · middle dot
    "\xE2\x80\x93",  // – en dash
    "\xEF\x82\xB7",  // U+F0B7, the Symbol-font bullet without a Unicode mapping
    "-",
    "*",
};

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

bool IsAsciiLetter(char c) { return std::isalpha(static_cast<unsigned char>(c)) != 0; }

bool StartsWithFence(std::string_view text) {
  return text.substr(0, 3) == "```" || text.substr(0, 3) == "~~~";
}

// Copies `text` to `out`, writing `replacement` for every "<!--".
void ReplaceCommentOpen(std::string_view text, std::string_view replacement, std::string* out) {
  for (size_t i = 0; i < text.size(); ++i) {
    if (text.compare(i, 4, "<!--") == 0) {
      out->append(replacement);
      i += 3;
    } else {
      out->push_back(text[i]);
    }
  }
}

}  // namespace

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

void JoinLine(std::string* paragraph, std::string_view line) {
  line = Trim(line);
  if (line.empty()) return;
  if (paragraph->empty()) {
    paragraph->append(line);
    return;
  }
  bool next_lower = std::islower(static_cast<unsigned char>(line.front())) != 0;
  if (EndsWith(*paragraph, kSoftHyphen)) {
    paragraph->resize(paragraph->size() - kSoftHyphen.size());
  } else if (next_lower && paragraph->size() >= 2 &&
             IsAsciiLetter((*paragraph)[paragraph->size() - 2]) && paragraph->back() == '-') {
    paragraph->pop_back();
  } else if (next_lower && EndsWith(*paragraph, kUnicodeHyphen)) {
    paragraph->resize(paragraph->size() - kUnicodeHyphen.size());
  } else {
    paragraph->push_back(' ');
  }
  paragraph->append(line);
}

size_t ListMarkerLength(std::string_view line, bool* ordered) {
  for (std::string_view b : kBullets) {
    if (line.substr(0, b.size()) == b && line.size() > b.size() + 1 && line[b.size()] == ' ') {
      *ordered = false;
      return b.size() + 1;
    }
  }
  // Ordered: "12." "12)" "a)" "(a)" "(12)" "(iv)", then a space.
  size_t i = 0;
  bool paren = !line.empty() && line[0] == '(';
  if (paren) ++i;
  size_t start = i;
  while (i < line.size() && i - start < 5 && std::isalnum(static_cast<unsigned char>(line[i]))) ++i;
  std::string_view label = line.substr(start, i - start);
  bool number = !label.empty() && label.size() <= 3 &&
                std::all_of(label.begin(), label.end(),
                            [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
  bool letter = label.size() == 1 && std::islower(static_cast<unsigned char>(label[0]));
  bool roman = paren && !label.empty() && label.find_first_not_of("ivx") == std::string_view::npos;
  if (i + 1 >= line.size() || line[i + 1] != ' ' || !(number || letter || roman)) return 0;
  char close = line[i];
  bool ok = paren ? close == ')' : (close == ')' && (number || letter)) || (close == '.' && number);
  if (!ok) return 0;
  *ordered = true;
  return i + 2;
}

std::string EscapeText(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 8);
  if (!text.empty() && (text.front() == '#' || text.front() == '>' || text.front() == '=' ||
                        StartsWithFence(text))) {
    out.push_back('\\');
  }
  ReplaceCommentOpen(text, "&lt;!--", &out);
  return out;
}

std::string EscapeHeading(std::string_view text) {
  std::string out = EscapeText(text);
  if (out.starts_with("Page ") && out.size() > 5 &&
      std::isdigit(static_cast<unsigned char>(out[5]))) {
    out.replace(4, 1, "\xC2\xA0");
  }
  return out;
}

std::string EscapeCode(std::string_view line) {
  std::string out;
  out.reserve(line.size() + 4);
  if (StartsWithFence(line)) out.push_back('\\');
  ReplaceCommentOpen(line, "<\\!--", &out);
  return out;
}

}  // namespace ingestd::pdf
