// RunCommand: a shell command's exit code and standard output, for tests and benchmarks that
// drive a binary (`ingestd token`, `ingestd ingest`, promtool, node). Header-only, so the
// benchmarks use it without the gtest-based harness library.
#pragma once

#include <stdio.h>
#include <sys/wait.h>

#include <string>

namespace ingestd::itest {

struct CommandResult {
  int exit_code = -1;  // -1: it could not start, or ended by a signal
  std::string output;  // standard output (append 2>&1 to the command for stderr too)
};

inline CommandResult RunCommand(const std::string& command) {
  CommandResult result;
  FILE* p = popen(command.c_str(), "r");
  if (p == nullptr) return result;
  char buf[1 << 16];
  for (size_t n; (n = fread(buf, 1, sizeof buf, p)) > 0;) result.output.append(buf, n);
  const int status = pclose(p);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

}  // namespace ingestd::itest
