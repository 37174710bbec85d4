// Runs a program to completion with a wall-clock deadline and a cap on what it may write,
// collecting its stdout (and the tail of its stderr). The child gets `stdin_fd` (or /dev/null)
// as stdin, an empty environment, default signal dispositions and no descriptors but 0-2
// (everything else is closed in the child before exec, close-on-exec or not).
// Thread-safe; blocks the calling thread until the child is gone (it is always reaped).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/clock.h"

namespace ingestd::pdf {

struct ChildLimits {
  int64_t wall_millis = 0;       // SIGKILL after this
  int64_t max_stdout_bytes = 0;  // SIGKILL once stdout grows past this
};

struct ChildOutcome {
  enum class Stop { kExited, kSignaled, kWallClock, kOutputLimit };
  Stop stop = Stop::kExited;
  int exit_code = 0;     // kExited
  int signal = 0;        // kSignaled
  std::string out;       // everything written to stdout (up to the cap)
  std::string err_tail;  // the last few KB of stderr, for logs
  int64_t elapsed_millis = 0;
};

// Returns 0, or the errno of a failed spawn (ENOENT, EACCES, EAGAIN, ...).
int RunChild(const std::vector<std::string>& argv, int stdin_fd, const ChildLimits& limits,
             const Clock& clock, ChildOutcome* outcome);

}  // namespace ingestd::pdf
