// Test-only: builds small PDFs from object bodies, valid or deliberately hostile, so tests
// need no checked-in binaries.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace ingestd::pdf::testing {

// Where Debian's r-doc-pdf puts the R manuals (real PDFs of 41-2415 pages).
inline constexpr char kRManualDir[] = "/usr/share/R/doc/manual/";
// Every distinct manual there, sorted (fullrefman.pdf, a copy of refman.pdf, left out);
// empty when r-doc-pdf is not installed.
std::vector<std::filesystem::path> RManuals();

// A PDF whose object i+1 is `objects[i]` (the text between "N 0 obj" and "endobj"), with a
// correct xref table; `trailer_extra` is added to the trailer dictionary (root is object 1).
std::string BuildPdf(const std::vector<std::string>& objects,
                     const std::string& trailer_extra = "");

// A stream object body with /Length and `extra` dictionary entries.
std::string StreamObject(const std::string& data, const std::string& extra = "");

// zlib-compressed `count` repetitions of `unit` (decompression bombs without the memory).
std::string DeflateRepeated(const std::string& unit, size_t count);

// One run of Helvetica text at (x, y), PDF coordinates (y up), in PDF string syntax.
struct PlacedText {
  double x = 72, y = 720, size = 11;
  std::string text;
};

// A valid one-font, US-letter document; page i shows `pages[i]`.
std::string PlacedTextPdf(const std::vector<std::vector<PlacedText>>& pages);

// Page i shows the lines `pages[i]` from the top-left margin down.
std::string TextPdf(const std::vector<std::vector<std::string>>& pages, double font_size = 11);

// Writes `data` to `path`; returns false on failure.
bool WriteFile(const std::string& path, const std::string& data);

}  // namespace ingestd::pdf::testing
