#include "pdf/helper_runner.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <mutex>

#include "core/log.h"
#include "pdf/child_process.h"
#include "pdf/pdf_errors.h"
#include "pdf/protocol.h"

namespace ingestd::pdf {

namespace {

constexpr char kHelperName[] = "ingestd-pdf";
// Codes the helper may report; anything else means it is not the helper we know.
constexpr std::array<const char*, 8> kHelperCodes = {
    kPdfCorrupt,      kPdfEncrypted, kPdfNoPages,          kPdfMemoryLimit,
    kPdfTooManyPages, kPdfTimeout,   kPdfSandboxViolation, kPdfSandboxFailed};

Status PdfError(const std::string& code, std::string message) {
  return Status::Error(Kind::kUnprocessable, code, std::move(message), /*retryable=*/false);
}

// One line per process for what the helpers' sandbox is, again only when that changes.
void LogSandbox(const std::string& report) {
  static std::mutex mu;
  static std::string last;
  std::lock_guard<std::mutex> lock(mu);
  if (report == last) return;
  last = report;
  if (report == "off") {
    log::Warn("pdf helper runs WITHOUT its sandbox (INGESTD_PDF_SANDBOX=off)", {});
  } else {
    log::Info("pdf helper sandbox", {{"isolation", report}});
  }
}

Status Crashed(const ChildOutcome& o, const std::string& why, const nlohmann::json& log_fields) {
  nlohmann::json fields = log_fields;
  fields["reason"] = why;
  fields["stderr_tail"] = o.err_tail.substr(o.err_tail.size() > 512 ? o.err_tail.size() - 512 : 0);
  log::Warn("pdf helper died", fields);
  return PdfError(kPdfHelperCrashed, "the PDF parser helper crashed (" + why + ")");
}

// Maps a child that ran to completion (or was stopped by us or a limit) to a result.
Result<HelperResult> Interpret(HelperMode mode, const ChildOutcome& o, const HelperLimits& limits,
                               const nlohmann::json& log_fields) {
  switch (o.stop) {
    case ChildOutcome::Stop::kWallClock:
      return PdfError(kPdfTimeout, "parsing took longer than " +
                                       std::to_string(limits.wall_millis / 1000) + " s");
    case ChildOutcome::Stop::kOutputLimit:
      return PdfError(
          kPdfOutputTooLarge,
          "the PDF's text is larger than " + std::to_string(limits.max_output_bytes >> 20) + " MB");
    case ChildOutcome::Stop::kSignaled:
      // RLIMIT_CPU sends SIGXCPU at the soft limit and SIGKILL at the hard one.
      if (o.signal == SIGXCPU || o.signal == SIGKILL) {
        return PdfError(kPdfTimeout, "parsing used more than " +
                                         std::to_string(limits.cpu_seconds) + " s of CPU");
      }
      if (o.signal == SIGSYS) {
        nlohmann::json fields = log_fields;
        log::Error("pdf helper killed by its seccomp filter", fields);
        return PdfError(kPdfSandboxViolation,
                        "the PDF parser attempted an operation its sandbox forbids");
      }
      return Crashed(o, std::string("signal ") + sigabbrev_np(o.signal), log_fields);
    case ChildOutcome::Stop::kExited:
      break;
  }
  std::vector<Frame> frames;
  bool well_formed = DecodeFrames(o.out, &frames);
  if (!well_formed || frames.empty() || frames.back().kind != kFrameEnd) {
    return Crashed(o, "exit " + std::to_string(o.exit_code) + ", incomplete reply", log_fields);
  }
  HelperResult result;
  bool have_pages = false, have_markdown = false;
  for (Frame& f : frames) {
    if (f.kind == kFrameError) {
      size_t sp = f.payload.find(' ');
      std::string code = f.payload.substr(0, sp);
      for (const char* known : kHelperCodes) {
        if (code != known) continue;
        std::string message = sp == std::string::npos ? code : f.payload.substr(sp + 1);
        if (code == kPdfSandboxFailed) {
          log::Error("pdf helper cannot enter its sandbox", {{"error", message}});
          return Status::Error(Kind::kInternal, code, "the PDF parser cannot be sandboxed",
                               /*retryable=*/false);
        }
        return PdfError(code, message);
      }
      return Crashed(o, "unknown error code", log_fields);
    } else if (f.kind == kFrameSandbox) {
      result.sandbox = std::move(f.payload);
      LogSandbox(result.sandbox);
    } else if (f.kind == kFramePages) {
      const char* end = f.payload.data() + f.payload.size();
      have_pages = std::from_chars(f.payload.data(), end, result.page_count).ptr == end &&
                   result.page_count > 0;
    } else if (f.kind == kFrameMarkdown) {
      result.markdown = std::move(f.payload);
      have_markdown = true;
    } else if (f.kind == kFrameWarning) {
      result.warnings.push_back(std::move(f.payload));
    }
  }
  if (!have_pages || (mode == HelperMode::kMarkdown && !have_markdown) || result.sandbox.empty()) {
    return Crashed(o, "reply without a result", log_fields);
  }
  return result;
}

}  // namespace

std::string DefaultHelperPath() {
  std::error_code ec;
  std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    std::filesystem::path beside = self.parent_path() / kHelperName;
    if (access(beside.c_str(), X_OK) == 0) return beside.string();
  }
  return INGESTD_PDF_HELPER_BUILD_PATH;
}

Result<HelperResult> RunHelper(HelperMode mode, const std::string& pdf_path,
                               const HelperLimits& limits, const HelperOptions& options,
                               const nlohmann::json& log_fields) {
  // The helper gets the open document, never its path.
  int fd = open(pdf_path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::NotFound(kPdfUnreadable, "the PDF file cannot be read");
  std::string helper = options.helper_path.empty() ? DefaultHelperPath() : options.helper_path;
  std::vector<std::string> argv = {
      helper,
      mode == HelperMode::kMarkdown ? "markdown" : "pages",
      "--cpu-seconds=" + std::to_string(limits.cpu_seconds),
      "--memory-mb=" + std::to_string(limits.memory_mb),
      "--max-pages=" + std::to_string(limits.max_pages),
  };
  if (!options.sandbox) argv.push_back("--sandbox=off");
  if (!options.sandbox_test.empty()) argv.push_back("--sandbox-test=" + options.sandbox_test);
  ChildOutcome outcome;
  ChildLimits child_limits{limits.wall_millis, limits.max_output_bytes};
  const Clock& clock = options.clock ? *options.clock : *SystemClock::Default();
  int err = RunChild(argv, fd, child_limits, clock, &outcome);
  close(fd);
  if (err != 0) {
    if (err == EAGAIN || err == ENOMEM || err == EMFILE || err == ENFILE) {
      return Status::Unavailable("PDF_HELPER_SPAWN_FAILED",
                                 std::string("cannot start the PDF helper: ") + strerror(err));
    }
    log::Error("pdf helper missing", {{"helper", helper}, {"errno", err}});
    return Status::Internal("PDF_HELPER_MISSING", "the PDF helper program cannot be started");
  }
  return Interpret(mode, outcome, limits, log_fields);
}

Result<int> CountPages(const std::string& pdf_path, const HelperLimits& limits,
                       const HelperOptions& options) {
  Result<HelperResult> r = RunHelper(HelperMode::kPages, pdf_path, limits, options);
  if (!r.ok()) return r.status();
  return r->page_count;
}

}  // namespace ingestd::pdf
