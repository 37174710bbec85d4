// Plain-text tables for the commands that print for people (`ingestd jobs`, `ingestd job`):
// columns padded to their widest cell, two spaces apart.
#pragma once

#include <string>
#include <vector>

namespace ingestd::cli {

using TableRow = std::vector<std::string>;

// rows[0] is the header. Widths count UTF-8 characters, not bytes; the last column is not
// padded. Every line ends in '\n'.
std::string FormatTable(const std::vector<TableRow>& rows);

}  // namespace ingestd::cli
