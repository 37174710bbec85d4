// A page-count heuristic for the mock parser: no PDF library, just enough structure to give
// realistic counts for real files. Not a validator: never trust it for security decisions.
#pragma once

#include <string_view>

namespace ingestd {

// Counts page objects: "/Type /Page" (any whitespace, not "/Pages") in the raw bytes and in
// every FlateDecode object stream ("/Type /ObjStm", PDF 1.5+, where modern writers hide
// page dictionaries). Inflated output is capped so a hostile stream cannot exhaust memory.
// Returns at least 1 and at most kMaxMockPages.
int CountPdfPages(std::string_view pdf);

inline constexpr int kMaxMockPages = 10'000;

}  // namespace ingestd
