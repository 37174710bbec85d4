// ingestd-pdf: the sandboxed PDF helper. One document per process, read from stdin; see
// pdf/protocol.h for the command line and the frames it writes on stdout. Before it reads a
// byte of the document it limits itself (CPU, address space, no core files, no inherited
// descriptors) and enters the sandbox (helper/sandbox.h), and it dies with its parent. Links
// MuPDF (AGPL), which is why it is a separate program.
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>
#include <string_view>

#include "pdf/helper/mupdf_document.h"
#include "pdf/helper/sandbox.h"
#include "pdf/markdown_writer.h"
#include "pdf/pdf_errors.h"
#include "pdf/protocol.h"

namespace ingestd::pdf {
namespace {

constexpr int kMaxWarnings = 20;

struct Args {
  std::string mode;
  bool sandbox = true;
  std::string sandbox_test;  // hidden, for the tests: a forbidden operation to attempt
  long cpu_seconds = 0;      // 0 = no limit
  long memory_mb = 0;
  long max_pages = 0;
};

bool ParseArgs(int argc, char** argv, Args* args) {
  if (argc < 2) return false;
  args->mode = argv[1];
  for (int i = 2; i < argc; ++i) {
    std::string_view a = argv[i];
    auto value = [&](std::string_view flag, long* out) {
      if (a.substr(0, flag.size()) != flag) return false;
      *out = std::strtol(argv[i] + flag.size(), nullptr, 10);
      return true;
    };
    if (value("--cpu-seconds=", &args->cpu_seconds) || value("--memory-mb=", &args->memory_mb) ||
        value("--max-pages=", &args->max_pages)) {
      continue;
    }
    if (a == "--sandbox=off") {
      args->sandbox = false;
    } else if (a.starts_with("--sandbox-test=")) {
      args->sandbox_test = a.substr(15);
    } else {
      return false;
    }
  }
  return args->mode == "markdown" || args->mode == "pages";
}

void SetLimit(int resource, rlim_t soft, rlim_t hard) {
  rlimit lim = {soft, hard};
  setrlimit(resource, &lim);
}

void ConfineSelf(const Args& args) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() == 1) _exit(1);  // the parent is already gone
  close_range(3, ~0U, 0);        // descriptors the parent forgot to mark close-on-exec
  SetLimit(RLIMIT_CORE, 0, 0);
  if (args.cpu_seconds > 0) SetLimit(RLIMIT_CPU, args.cpu_seconds, args.cpu_seconds + 1);
  if (args.memory_mb > 0) {
    rlim_t bytes = static_cast<rlim_t>(args.memory_mb) << 20;
    SetLimit(RLIMIT_AS, bytes, bytes);
  }
}

void WriteAll(std::string_view data) {
  while (!data.empty()) {
    ssize_t n = write(STDOUT_FILENO, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) _exit(3);  // the runner went away
    data.remove_prefix(static_cast<size_t>(n));
  }
}

int Fail(const PdfError& error) {
  WriteAll(EncodeFrame(kFrameError, error.code + " " + error.message));
  WriteAll(EncodeFrame(kFrameEnd, ""));
  return 2;
}

int Run(const Args& args, FILE* input) {
  PdfError error;
  std::unique_ptr<MupdfDocument> doc = MupdfDocument::Open(input, &error);
  if (!doc) return Fail(error);
  int pages = doc->CountPages(&error);
  if (pages < 0) return Fail(error);
  if (pages == 0 && doc->WasRepaired()) {
    return Fail({kPdfCorrupt, "the PDF is damaged: no page could be recovered"});
  }
  if (pages == 0) return Fail({kPdfNoPages, "the PDF has no pages"});
  if (args.max_pages > 0 && pages > args.max_pages) {
    return Fail({kPdfTooManyPages, "the PDF has " + std::to_string(pages) +
                                       " pages; the limit is " + std::to_string(args.max_pages)});
  }
  if (args.mode == "pages") {
    WriteAll(EncodeFrame(kFramePages, std::to_string(pages)));
    WriteAll(EncodeFrame(kFrameEnd, ""));
    return 0;
  }
  std::vector<PageLayout> layouts;
  layouts.reserve(pages);
  int failed = 0;
  std::string warnings;
  for (int i = 0; i < pages; ++i) {
    PdfError page_error;
    layouts.push_back(doc->ExtractPage(i, &page_error));
    if (!layouts.back().failed) continue;
    if (page_error.code == kPdfMemoryLimit) return Fail(page_error);
    if (++failed <= kMaxWarnings) {
      warnings +=
          EncodeFrame(kFrameWarning, "page " + std::to_string(i + 1) + ": " + page_error.message);
    }
    error = page_error;
  }
  if (failed == pages) return Fail({kPdfCorrupt, "no page could be read: " + error.message});
  std::string markdown = WriteMarkdown(std::move(layouts));
  WriteAll(EncodeFrame(kFramePages, std::to_string(pages)));
  WriteAll(warnings);
  WriteAll(EncodeFrame(kFrameMarkdown, markdown));
  WriteAll(EncodeFrame(kFrameEnd, ""));
  return 0;
}

}  // namespace
}  // namespace ingestd::pdf

int main(int argc, char** argv) {
  using namespace ingestd::pdf;
  Args args;
  if (!ParseArgs(argc, argv, &args)) {
    const char kUsage[] =
        "usage: ingestd-pdf markdown|pages [--cpu-seconds=N] [--memory-mb=N] [--max-pages=N] "
        "[--sandbox=off] < FILE\n";
    (void)!write(STDERR_FILENO, kUsage, sizeof(kUsage) - 1);
    return 64;
  }
  ConfineSelf(args);
  // The buffer is ours so that stdio needs no fstat (forbidden by the filter) on first read.
  static char buffer[1 << 16];
  FILE* input = fdopen(STDIN_FILENO, "rb");
  if (!input || setvbuf(input, buffer, _IOFBF, sizeof buffer) != 0) {
    return Fail({kPdfCorrupt, "the document cannot be read from stdin"});
  }
  if (!args.sandbox) {
    WriteAll(EncodeFrame(kFrameSandbox, "off"));
  } else {
    SandboxReport sandbox = EnterSandbox();
    if (!sandbox.ok) return Fail({kPdfSandboxFailed, "cannot enter the sandbox: " + sandbox.error});
    WriteAll(EncodeFrame(kFrameSandbox, sandbox.description));
  }
  if (!args.sandbox_test.empty()) {
    std::string escaped = TryForbidden(args.sandbox_test);
    if (escaped.empty()) return Fail({kPdfSandboxViolation, args.sandbox_test + " was refused"});
    WriteAll(EncodeFrame(kFrameWarning, "sandbox test: " + escaped));
  }
  try {
    return Run(args, input);
  } catch (const std::bad_alloc&) {
    return Fail({kPdfMemoryLimit, "the PDF needs more memory than allowed"});
  }
}
