// LocalPdfParser: the Parser that turns a PDF into markdown offline, at $0, with the sandboxed
// ingestd-pdf helper (PARSE_MODE=local, and HYBRID's fallback for LlamaParse).
//
// Errors: every PDF problem (corrupt, encrypted, no pages, too big, helper crash, timeout,
// memory limit) is permanent (not retryable), Kind::kUnprocessable, codes in pdf/pdf_errors.h;
// only a failed spawn (EAGAIN) is retryable. Thread-safe: each Parse runs its own child.
#pragma once

#include <atomic>
#include <string>
#include <vector>

#include "pdf/helper_runner.h"
#include "services/parser.h"

namespace ingestd::pdf {

struct LocalPdfParserOptions {
  HelperLimits limits = ParseLimits();
  HelperOptions helper;  // helper path (default: beside the executable) and clock
  // Test-only: parse i (counting from 0) attempts sandbox_probes[i] once sandboxed (see
  // HelperOptions::sandbox_test), so a test can make one job hit the sandbox and the next not.
  std::vector<std::string> sandbox_probes;
};

class LocalPdfParser final : public Parser {
 public:
  explicit LocalPdfParser(LocalPdfParserOptions options = {}) : options_(std::move(options)) {}

  std::string name() const override { return "local"; }
  Result<ParseOutput> Parse(const ParseInput& in, const CallContext& ctx) override;

 private:
  LocalPdfParserOptions options_;
  std::atomic<size_t> parses_{0};
};

}  // namespace ingestd::pdf
