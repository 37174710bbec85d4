// The helper's sandbox, from outside: the real helper attempts forbidden operations once its
// sandbox is up (hidden --sandbox-test), as root (namespaces or chroot, then nobody) and as an
// unprivileged user (user namespace where available); each must be stopped and come back as a
// typed permanent error, while the same attempts succeed with the sandbox off. And the
// sandbox changes nothing a parse returns: every R manual reads the same with it on and off.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <filesystem>
#include <map>
#include <sstream>

#include "pdf/helper_runner.h"
#include "pdf/local_pdf_parser.h"
#include "pdf/pdf_errors.h"
#include "pdf/test_pdfs.h"

namespace ingestd::pdf {
namespace {

class SandboxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("pdf_sandbox_" + std::to_string(getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_ / "data");
    pdf_ = (dir_ / "data" / "doc.pdf").string();
    secret_ = (dir_ / "data" / "jwt_secret").string();
    ASSERT_TRUE(testing::WriteFile(pdf_, testing::TextPdf({{"Hello sandbox"}})));
    ASSERT_TRUE(testing::WriteFile(secret_, "secret"));
    chmod(secret_.c_str(), 0644);  // readable by anyone: only the sandbox stands in the way
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // The real helper started as nobody, as a service running unprivileged would start it.
  HelperOptions AsNobody() {
    std::string wrapper = (dir_ / "as-nobody").string();
    testing::WriteFile(wrapper,
                       "#!/bin/sh\nexec /usr/bin/setpriv --reuid=65534 --regid=65534 "
                       "--clear-groups " +
                           DefaultHelperPath() + " \"$@\"\n");
    chmod(wrapper.c_str(), 0755);
    HelperOptions options;
    options.helper_path = wrapper;
    return options;
  }

  std::vector<std::string> Attempts() const {
    return {"open", "socket", "execve", "read:" + secret_};
  }

  void ExpectAllStopped(HelperOptions options) {
    for (const std::string& attempt : Attempts()) {
      options.sandbox_test = attempt;
      Result<HelperResult> r = RunHelper(HelperMode::kMarkdown, pdf_, ParseLimits(), options);
      ASSERT_FALSE(r.ok()) << attempt << " was not stopped: " << r->warnings.size();
      EXPECT_EQ(r.status().code(), kPdfSandboxViolation) << attempt << r.status().ToString();
      EXPECT_EQ(r.status().kind(), Kind::kUnprocessable) << attempt;
      EXPECT_FALSE(r.status().retryable()) << attempt;
    }
  }

  std::filesystem::path dir_;
  std::string pdf_, secret_;
};

// A stand-in helper (Python, which holds no descriptor of its own once it runs) answers with
// its arguments and where each of its descriptors points. The service holds a descriptor
// without close-on-exec, as a careless library would: it must not arrive.
TEST_F(SandboxTest, TheHelperGetsTheDocumentAsStdinAndNoOtherDescriptor) {
  int leaked = open(secret_.c_str(), O_RDONLY);  // no O_CLOEXEC on purpose
  ASSERT_GE(leaked, 3);
  const std::string script = (dir_ / "recording-helper").string();
  testing::WriteFile(script, R"(#!/usr/bin/python3
import os, sys
lines = [' '.join(sys.argv[1:])]
for fd in sorted(os.listdir('/proc/self/fd'), key=int):
    try:
        lines.append(fd + ' ' + os.readlink('/proc/self/fd/' + fd))
    except OSError:
        pass  # the descriptor listdir itself used, closed by now
text = '\n'.join(lines).encode()
sys.stdout.buffer.write(b'sandbox 4\ntestpages 1\n1markdown %d\n' % len(text) + text + b'end 0\n')
)");
  chmod(script.c_str(), 0755);
  HelperOptions options;
  options.helper_path = script;
  Result<HelperResult> r = RunHelper(HelperMode::kMarkdown, pdf_, ParseLimits(), options);
  close(leaked);
  ASSERT_TRUE(r.ok()) << r.status().ToString();

  std::istringstream in(r->markdown);
  std::string args;
  std::getline(in, args);
  EXPECT_TRUE(args.starts_with("markdown --cpu-seconds=")) << args;
  EXPECT_EQ(args.find("doc.pdf"), std::string::npos) << "the path was passed: " << args;
  std::map<int, std::string> fds;  // descriptor -> what it points to
  for (std::string line; std::getline(in, line);) {
    size_t space = line.find(' ');
    fds[std::stoi(line.substr(0, space))] = line.substr(space + 1);
  }
  EXPECT_EQ(fds.size(), 3u) << r->markdown;
  EXPECT_EQ(fds[0], pdf_);
  EXPECT_TRUE(fds[1].starts_with("pipe:")) << fds[1];
  EXPECT_TRUE(fds[2].starts_with("pipe:")) << fds[2];
}

TEST_F(SandboxTest, ForbiddenOperationsAreStoppedAsRoot) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root";
  ExpectAllStopped({});
}

TEST_F(SandboxTest, ForbiddenOperationsAreStoppedAsAnUnprivilegedUser) {
  if (geteuid() != 0) {
    ExpectAllStopped({});  // already unprivileged
  } else {
    ExpectAllStopped(AsNobody());
  }
}

TEST_F(SandboxTest, WithTheSandboxOffTheSameAttemptsSucceed) {
  HelperOptions options;
  options.sandbox = false;
  for (const std::string& attempt : std::vector<std::string>{"open", "socket", "read:" + secret_}) {
    options.sandbox_test = attempt;
    Result<HelperResult> r = RunHelper(HelperMode::kMarkdown, pdf_, ParseLimits(), options);
    ASSERT_TRUE(r.ok()) << attempt << ": " << r.status().ToString();
    EXPECT_EQ(r->sandbox, "off");
    ASSERT_EQ(r->warnings.size(), 1u) << attempt;
    EXPECT_TRUE(r->warnings[0].starts_with("sandbox test: " + attempt + " returned "))
        << r->warnings[0];
  }
}

TEST_F(SandboxTest, SandboxedParseWorksAndReportsItsIsolation) {
  for (const HelperOptions& options : {HelperOptions{}, AsNobody()}) {
    Result<HelperResult> r = RunHelper(HelperMode::kMarkdown, pdf_, ParseLimits(), options);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->markdown, "<!-- page: 1 -->\n\nHello sandbox\n\n");
    EXPECT_NE(r->sandbox.find("seccomp=kill"), std::string::npos) << r->sandbox;
    EXPECT_NE(r->sandbox.find("uid=65534"), std::string::npos) << r->sandbox;
    // Which filesystem isolation runs depends on the machine; one of the known ones does.
    EXPECT_TRUE(r->sandbox.starts_with("fs=mountns+chroot(empty) net=netns") ||
                r->sandbox.starts_with("fs=chroot(empty) net=host") ||
                r->sandbox.starts_with("fs=userns+mountns+chroot(empty) net=netns") ||
                r->sandbox.starts_with("fs=host net=host"))
        << r->sandbox;
  }
}

// The real helper, started under a seccomp filter of its own parent's (a Python wrapper,
// ctypes) that refuses seccomp(2) and prctl(PR_SET_SECCOMP) with EPERM, cannot install its
// filter: it refuses to parse, and the service gets PDF_SANDBOX_FAILED, never a parse.
TEST_F(SandboxTest, AHelperThatCannotInstallItsFilterRefusesToParse) {
#if !defined(__x86_64__)
  GTEST_SKIP() << "the wrapper's filter uses x86_64 system call numbers";
#endif
  const std::string wrapper = (dir_ / "no-seccomp").string();
  testing::WriteFile(wrapper, R"(#!/usr/bin/python3
import ctypes, os, struct, sys
# ld nr; seccomp (317) -> EPERM; prctl (157) with arg0 PR_SET_SECCOMP (22) -> EPERM; else allow
code = [(0x20, 0, 0, 0), (0x15, 3, 0, 317), (0x15, 0, 3, 157), (0x20, 0, 0, 16),
        (0x15, 0, 1, 22), (0x06, 0, 0, 0x00050000 | 1), (0x06, 0, 0, 0x7fff0000)]
insns = ctypes.create_string_buffer(b"".join(struct.pack("HBBI", *i) for i in code))
class Prog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]
prog = Prog(len(code), ctypes.addressof(insns))
libc = ctypes.CDLL(None, use_errno=True)
if libc.prctl(38, 1, 0, 0, 0) or libc.prctl(22, 2, ctypes.byref(prog), 0, 0):
    sys.exit("wrapper: cannot install its filter: " + os.strerror(ctypes.get_errno()))
os.execv(sys.argv[0] + ".helper", [sys.argv[0] + ".helper"] + sys.argv[1:])
)");
  chmod(wrapper.c_str(), 0755);
  std::filesystem::create_symlink(DefaultHelperPath(), wrapper + ".helper");
  HelperOptions options;
  options.helper_path = wrapper;
  Result<HelperResult> r = RunHelper(HelperMode::kMarkdown, pdf_, ParseLimits(), options);
  ASSERT_FALSE(r.ok()) << "parsed without its filter: " << r->sandbox;
  EXPECT_EQ(r.status().code(), kPdfSandboxFailed) << r.status().ToString();
  EXPECT_EQ(r.status().kind(), Kind::kInternal);
  EXPECT_FALSE(r.status().retryable());
}

TEST_F(SandboxTest, AViolationIsAPermanentErrorOfTheParse) {
  LocalPdfParserOptions options;
  options.helper.sandbox_test = "open";
  LocalPdfParser parser(options);
  Result<ParseOutput> out = parser.Parse(
      {.pdf_path = pdf_, .size_bytes = 1, .document_id = "doc-1"}, {"corr-1", "job-1", "user-1"});
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), kPdfSandboxViolation);
  EXPECT_FALSE(out.status().retryable());
}

TEST_F(SandboxTest, ProbesApplyToTheFirstParsesInTurnAndThenParsesAreClean) {
  LocalPdfParserOptions options;
  options.sandbox_probes = {"socket", "execve"};
  LocalPdfParser parser(options);
  ParseInput in = {.pdf_path = pdf_, .size_bytes = 1, .document_id = "doc-1"};
  for (int i = 0; i < 2; ++i) {
    Result<ParseOutput> out = parser.Parse(in, {"corr-1", "job-1", "user-1"});
    ASSERT_FALSE(out.ok()) << i;
    EXPECT_EQ(out.status().code(), kPdfSandboxViolation) << i;
  }
  Result<ParseOutput> out = parser.Parse(in, {"corr-1", "job-1", "user-1"});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(out->markdown, "<!-- page: 1 -->\n\nHello sandbox\n\n");
}

// The filter, the chroot and the limits only take away what a parse must not need: any
// difference (a font or a locale file MuPDF would have opened, a refused mmap) shows here.
TEST(SandboxOnOffTest, EveryRManualParsesTheSameWithTheSandboxOnAndOff) {
  auto manuals = testing::RManuals();
  if (manuals.empty()) GTEST_SKIP() << "r-doc-pdf is not installed";
  HelperOptions on, off;
  off.sandbox = false;
  for (const auto& path : manuals) {
    for (HelperMode mode : {HelperMode::kPages, HelperMode::kMarkdown}) {
      HelperLimits limits = mode == HelperMode::kPages ? PageCountLimits() : ParseLimits();
      Result<HelperResult> a = RunHelper(mode, path.string(), limits, on);
      Result<HelperResult> b = RunHelper(mode, path.string(), limits, off);
      ASSERT_TRUE(a.ok()) << path << " sandbox on: " << a.status().ToString();
      ASSERT_TRUE(b.ok()) << path << " sandbox off: " << b.status().ToString();
      EXPECT_NE(a->sandbox.find("seccomp=kill"), std::string::npos) << a->sandbox;
      EXPECT_EQ(b->sandbox, "off");
      EXPECT_GT(a->page_count, 0) << path;
      EXPECT_EQ(a->page_count, b->page_count) << path;
      EXPECT_EQ(a->warnings, b->warnings) << path;
      // Not EXPECT_EQ: a mismatch would print megabytes of markdown.
      EXPECT_TRUE(a->markdown == b->markdown)
          << path << ": markdown differs (" << a->markdown.size() << " vs " << b->markdown.size()
          << " bytes)";
      if (mode == HelperMode::kMarkdown) {
        EXPECT_GT(a->markdown.size(), 10'000u) << path;
      }
    }
  }
}

}  // namespace
}  // namespace ingestd::pdf
