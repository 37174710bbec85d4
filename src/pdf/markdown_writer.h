// Extracted pages → markdown: reading order, furniture removal, headings, paragraphs, list
// items, code blocks. Each page starts with the marker line `<!-- page: N -->` (the chunker
// reads it to give chunks page ranges); body text can never produce that marker.
#pragma once

#include <string>
#include <vector>

#include "pdf/layout.h"

namespace ingestd::pdf {

std::string WriteMarkdown(std::vector<PageLayout> pages);

// The marker line that opens page `number` (1-based), without newline.
std::string PageMarker(int number);

}  // namespace ingestd::pdf
