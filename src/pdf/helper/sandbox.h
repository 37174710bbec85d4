// The helper's confinement, entered before MuPDF sees a byte of the document. See
// EnterSandbox for what it takes away, and the README's security section for what is left.
#pragma once

#include <string>

namespace ingestd::pdf {

struct SandboxReport {
  bool ok = false;
  std::string description;  // what ran, e.g. "fs=userns+mountns+chroot net=netns uid=65534 ..."
  std::string error;        // when !ok: the step that failed and its errno
};

// Sets PR_SET_NO_NEW_PRIVS; loses the filesystem (new user+mount namespace and a chroot into an
// empty deleted directory where user namespaces are available, else a chroot when root); drops
// to uid/gid 65534 when root; joins a new network namespace where possible; caps descriptors
// (RLIMIT_NOFILE) and file writes (RLIMIT_FSIZE 0); installs a seccomp filter that kills the
// process on any system call but memory management, read, lseek and fstat on fd 0, write on fds 1-2,
// clock reads, futex and exit. Only the filter is mandatory: if it cannot be installed, !ok.
SandboxReport EnterSandbox();

// Test-only (hidden --sandbox-test=WHAT): tries a forbidden operation after EnterSandbox.
// WHAT is open (/etc/passwd), socket, execve or read:PATH. Returns an empty string when the
// attempt was refused with EPERM/EACCES (a filter kill never returns), else what happened.
std::string TryForbidden(const std::string& what);

}  // namespace ingestd::pdf
