// MuPDF behind a small C++ surface: open a document, count pages, extract one page into the
// layout model. This file and mupdf_document.cpp are the only code that touches MuPDF (AGPL):
// they are linked into the ingestd-pdf helper executable and nowhere else.
//
// Not thread-safe (one fz_context per instance); the helper is single-threaded.
#pragma once

#include <cstdio>
#include <memory>
#include <string>

#include "pdf/layout.h"

namespace ingestd::pdf {

struct PdfError {
  std::string code;     // one of pdf/pdf_errors.h
  std::string message;  // short, safe to show
};

class MupdfDocument {
 public:
  // Opens and authenticates (empty password) the document read from `file` (read and
  // seeked, never closed). Returns nullptr and fills `error` on failure: PDF_ENCRYPTED,
  // PDF_CORRUPT, PDF_MEMORY_LIMIT.
  static std::unique_ptr<MupdfDocument> Open(FILE* file, PdfError* error);
  ~MupdfDocument();
  MupdfDocument(const MupdfDocument&) = delete;
  MupdfDocument& operator=(const MupdfDocument&) = delete;

  // Page count, or -1 with `error` filled when the page tree is unreadable.
  int CountPages(PdfError* error);
  // True when MuPDF had to rebuild the cross-reference table (a damaged file).
  bool WasRepaired();
  // Extracts page `index` (0-based). A page that fails to load or run comes back with
  // `failed` set and the reason in `error`.
  PageLayout ExtractPage(int index, PdfError* error);

  // True once any allocation failed: the address-space limit was reached, and a failure
  // that follows is reported as PDF_MEMORY_LIMIT rather than PDF_CORRUPT.
  static bool AllocationFailed();

 private:
  struct Impl;
  explicit MupdfDocument(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace ingestd::pdf
