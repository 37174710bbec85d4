// MockParser: deterministic markdown from PDF bytes, offline and free. The same bytes give
// the same markdown, so re-parsing after a crash or retry reproduces the stored result.
//
// Shape: one "# Page N" heading per page (page count from CountPdfPages), then 2–5
// paragraphs of pseudo-English seeded by a hash of the bytes and N, occasionally under a
// "## Section N.k" heading; about 1 paragraph in 8 is long (2–3 KB) so that chunk size caps
// are exercised. Thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "services/fault_injector.h"
#include "services/parser.h"

namespace ingestd {

class MockParser final : public Parser {
 public:
  explicit MockParser(FaultOptions faults = {});

  std::string name() const override { return "mock"; }
  // Reads in.pdf_path. Injected faults come first (they model the upstream service); then
  // an unreadable file is kInternal / "PARSE_INPUT_UNREADABLE" and bytes not starting with
  // "%PDF-" are kUnprocessable / "PARSE_NOT_A_PDF", both permanent.
  Result<ParseOutput> Parse(const ParseInput& in, const CallContext& ctx) override;

  // The pure transformation behind Parse, for tests and tools.
  static Result<ParseOutput> ParseBytes(std::string_view pdf);

 private:
  FaultInjector faults_;
};

}  // namespace ingestd
