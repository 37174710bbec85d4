// The mock parser's page counter on any bytes: always 1..kMaxMockPages, bounded memory.
#include "fuzz_target.h"
#include "services/pdf_pages.h"

INGESTD_FUZZ_TARGET(pdf_pages) {
  const int pages = ingestd::CountPdfPages(ingestd::fuzz::AsText(data, size));
  if (pages < 1 || pages > ingestd::kMaxMockPages) __builtin_trap();
  return 0;
}
