// Real documents and local edits of them, for the embedding cache's tests and benchmark
// (tests/ledger/embed_cache_api_test.cpp, bench/embed_cache): the markdown the local parser
// makes of a PDF, and that markdown with one paragraph changed. Header-only, so the
// benchmark (built without the test harness) shares it.
#pragma once

#include <algorithm>
#include <string>
#include <string_view>

#include "harness/run_command.h"

namespace ingestd::itest {

// The markdown `ingestd parse` (the local parser: the sandboxed MuPDF helper) makes of the
// PDF at path; empty when it fails.
inline std::string ParseLocally(const std::string& ingestd_binary, const std::string& path) {
  CommandResult r = RunCommand("'" + ingestd_binary + "' parse '" + path + "' 2>/dev/null");
  return r.exit_code == 0 ? std::move(r.output) : "";
}

// markdown with one paragraph changed: the nth (0-based) plain-text paragraph of at least
// 200 bytes from the first third of the document on gets `edit` appended. markdown itself
// when there is no such paragraph.
inline std::string EditParagraph(const std::string& markdown, int nth, const std::string& edit) {
  const auto plain = [](std::string_view block) {
    if (block.size() < 200) return false;
    for (std::string_view lead : {"#", "<!--", "|", "-", "*", "`", ">", " "}) {
      if (block.starts_with(lead)) return false;
    }
    return true;
  };
  for (size_t pos = markdown.size() / 3; pos < markdown.size();) {
    size_t begin = markdown.find("\n\n", pos);
    if (begin == std::string::npos) break;
    begin += 2;
    const size_t end = std::min(markdown.find("\n\n", begin), markdown.size());
    if (plain(std::string_view(markdown).substr(begin, end - begin)) && nth-- == 0) {
      return markdown.substr(0, end) + edit + markdown.substr(end);
    }
    pos = end;
  }
  return markdown;
}

}  // namespace ingestd::itest
