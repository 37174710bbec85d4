// Runs the ingestd-pdf helper on one document in a child process and turns whatever happens
// to it into a value or a typed Status. The runner opens the document and starts the helper
// with posix_spawn (no fork of the service's memory), an empty environment, the document as
// stdin, two pipes and no other descriptor; the helper sets its own CPU and address-space
// limits and enters its sandbox (seccomp, namespaces or chroot, uid nobody; see
// helper/sandbox.h) before it parses (see pdf/protocol.h), and the runner enforces the
// wall-clock and output-size limits by SIGKILL. The isolation the helper reports is logged
// once per process (and whenever it changes); `sandbox = false` is logged as a warning.
//
// Failure: a PDF problem, a crash, a hang or a memory blow-up of the helper is a permanent
// Status of Kind::kUnprocessable with a code from pdf/pdf_errors.h (PDF_TIMEOUT,
// PDF_MEMORY_LIMIT, PDF_HELPER_CRASHED, PDF_SANDBOX_VIOLATION, PDF_ENCRYPTED, PDF_CORRUPT,
// PDF_NO_PAGES, …); the calling process is never affected. A helper that cannot enter its
// sandbox refuses: permanent kInternal/PDF_SANDBOX_FAILED. A missing input file is
// kNotFound/PDF_UNREADABLE, a missing helper kInternal/PDF_HELPER_MISSING, a failed spawn (EAGAIN)
// kUnavailable/ PDF_HELPER_SPAWN_FAILED (retryable). Thread-safe: every call has its own child and
// pipes. The call blocks its thread until the child is reaped; the helper asks for SIGKILL when its
// spawning thread dies (PR_SET_PDEATHSIG follows the thread), so a killed service never leaves
// helpers behind.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/status.h"

namespace ingestd::pdf {

struct HelperLimits {
  int cpu_seconds = 60;                    // RLIMIT_CPU: CPU time of the whole document
  int64_t memory_mb = 1536;                // RLIMIT_AS: address space of the helper
  int64_t wall_millis = 120'000;           // killed after this, whatever it is doing
  int64_t max_output_bytes = 256ll << 20;  // markdown larger than this is refused
  int max_pages = 0;                       // refuse longer documents (0 = no cap)
};

// Limits for a whole-document parse (the defaults above).
inline HelperLimits ParseLimits() { return {}; }
// Tight limits for counting pages at upload: opening and reading the page tree only.
inline HelperLimits PageCountLimits() {
  return {.cpu_seconds = 5, .memory_mb = 512, .wall_millis = 10'000, .max_output_bytes = 1 << 16};
}

struct HelperOptions {
  std::string helper_path;       // empty: DefaultHelperPath()
  const Clock* clock = nullptr;  // wall-clock deadline; null: SystemClock::Default()
  // false only by the operator's explicit choice (INGESTD_PDF_SANDBOX=off): rlimits only.
  bool sandbox = true;
  // Test-only: a forbidden operation the helper attempts once sandboxed (open, socket,
  // execve, read:PATH); see helper/sandbox.h.
  std::string sandbox_test;
};

struct HelperResult {
  int page_count = 0;
  std::string markdown;               // empty in page-count mode
  std::vector<std::string> warnings;  // pages that could not be read, etc.
  std::string sandbox;                // the isolation the helper reported, or "off"
};

enum class HelperMode { kMarkdown, kPages };

// `log_fields` (e.g. correlation_id, job_id) are added to the log line written when the
// helper dies abnormally.
Result<HelperResult> RunHelper(HelperMode mode, const std::string& pdf_path,
                               const HelperLimits& limits, const HelperOptions& options = {},
                               const nlohmann::json& log_fields = nlohmann::json::object());

// Cheap page count for the upload-time cost estimate (PageCountLimits by default).
Result<int> CountPages(const std::string& pdf_path, const HelperLimits& limits = PageCountLimits(),
                       const HelperOptions& options = {});

// ingestd-pdf beside the running executable if it exists there, else the one this build made.
std::string DefaultHelperPath();

}  // namespace ingestd::pdf
