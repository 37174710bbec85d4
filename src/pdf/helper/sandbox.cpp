#include "pdf/helper/sandbox.h"

#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <sched.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace ingestd::pdf {

namespace {

constexpr uid_t kNobody = 65534;
// 0-2 plus a little slack: the helper opens nothing, so this only bounds a compromise.
constexpr rlim_t kMaxFiles = 8;
constexpr int kNamespaces = CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS;

std::string Errno(const char* step) { return std::string(step) + ": " + strerrorname_np(errno); }

// The working directory becomes an empty directory that is already deleted: nothing can be
// created in it, and once it is the root there is no path to anything else.
bool EnterDeletedDirectory(std::string* error) {
  char dir[] = "/tmp/ingestd-pdf-root.XXXXXX";
  if (!mkdtemp(dir)) return *error = Errno("mkdtemp"), false;
  bool ok = chdir(dir) == 0;
  if (!ok) *error = Errno("chdir");
  rmdir(dir);
  return ok;
}

bool ChrootHere(std::string* error) {
  if (chroot(".") != 0) return *error = Errno("chroot"), false;
  if (chdir("/") != 0) return *error = Errno("chdir /"), false;
  return true;
}

bool DropToNobody(std::string* error) {
  if (setgroups(0, nullptr) != 0) return *error = Errno("setgroups"), false;
  if (setresgid(kNobody, kNobody, kNobody) != 0) return *error = Errno("setresgid"), false;
  if (setresuid(kNobody, kNobody, kNobody) != 0) return *error = Errno("setresuid"), false;
  return true;
}

// Inside a fresh user namespace the process holds every capability of that namespace; it
// needed CAP_SYS_CHROOT once, and keeps none.
bool DropCapabilities(std::string* error) {
  __user_cap_header_struct header = {_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2] = {};
  if (syscall(SYS_capset, &header, data) != 0) return *error = Errno("capset"), false;
  return true;
}

// Filesystem, network and identity; what could be done is appended to `description`.
bool Isolate(std::string* description, std::string* error) {
  if (geteuid() == 0) {
    // Root: a private mount and network namespace if we may, the chroot in any case, then
    // nobody (which also clears every capability).
    bool ns = unshare(kNamespaces) == 0;
    if (!EnterDeletedDirectory(error) || !ChrootHere(error) || !DropToNobody(error)) return false;
    *description += ns ? "fs=mountns+chroot(empty) net=netns" : "fs=chroot(empty) net=host";
    *description += " uid=" + std::to_string(kNobody);
    return true;
  }
  // Unprivileged: only a user namespace grants the right to chroot and a network namespace.
  std::string uid = std::to_string(getuid());
  if (unshare(CLONE_NEWUSER | kNamespaces) != 0) {
    *description += "fs=host net=host uid=" + uid + " (" + Errno("unshare") + ")";
    return true;
  }
  if (!EnterDeletedDirectory(error) || !ChrootHere(error) || !DropCapabilities(error)) {
    return false;
  }
  *description += "fs=userns+mountns+chroot(empty) net=netns uid=" + uid;
  return true;
}

bool SetLimit(int resource, rlim_t value, std::string* error) {
  rlimit lim = {value, value};
  if (setrlimit(resource, &lim) != 0) return *error = Errno("setrlimit"), false;
  return true;
}

// Everything the parse needs after the document is mapped: memory, the three descriptors,
// time and exit. MuPDF's fonts are compiled in, so it never opens a file.
bool InstallFilter(std::string* error) {
  scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
  if (!ctx) return *error = "seccomp_init failed", false;
  int rc = 0;
  auto allow = [&](int syscall_nr, auto... conditions) {
    if (rc == 0) {
      rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, syscall_nr, sizeof...(conditions), conditions...);
    }
  };
  allow(SCMP_SYS(read), SCMP_A0(SCMP_CMP_EQ, STDIN_FILENO));
  allow(SCMP_SYS(lseek), SCMP_A0(SCMP_CMP_EQ, STDIN_FILENO));
  // stdio asks for the size of stdin; relative to a file (not a directory) no path resolves.
  allow(SCMP_SYS(fstat), SCMP_A0(SCMP_CMP_EQ, STDIN_FILENO));
  allow(SCMP_SYS(newfstatat), SCMP_A0(SCMP_CMP_EQ, STDIN_FILENO));
  allow(SCMP_SYS(write), SCMP_A0(SCMP_CMP_EQ, STDOUT_FILENO));
  allow(SCMP_SYS(write), SCMP_A0(SCMP_CMP_EQ, STDERR_FILENO));
  // No executable memory: MuPDF and mujs interpret, they never generate code.
  allow(SCMP_SYS(mmap), SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
  allow(SCMP_SYS(mprotect), SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
  for (int nr :
       {SCMP_SYS(munmap), SCMP_SYS(mremap), SCMP_SYS(brk), SCMP_SYS(madvise), SCMP_SYS(futex),
        SCMP_SYS(clock_gettime), SCMP_SYS(clock_getres), SCMP_SYS(gettimeofday),
        SCMP_SYS(getrandom), SCMP_SYS(rt_sigreturn), SCMP_SYS(exit), SCMP_SYS(exit_group)}) {
    allow(nr);
  }
  // glibc's qsort asks sysinfo for the machine's memory; it copes with a refusal.
  if (rc == 0) rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(sysinfo), 0);
  if (rc == 0) rc = seccomp_load(ctx);
  seccomp_release(ctx);
  if (rc != 0) return *error = std::string("seccomp: ") + strerror(-rc), false;
  return true;
}

}  // namespace

SandboxReport EnterSandbox() {
  SandboxReport r;
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
    r.error = Errno("PR_SET_NO_NEW_PRIVS");
    return r;
  }
  if (!Isolate(&r.description, &r.error) || !SetLimit(RLIMIT_NOFILE, kMaxFiles, &r.error) ||
      !SetLimit(RLIMIT_FSIZE, 0, &r.error) || !InstallFilter(&r.error)) {
    return r;
  }
  r.description += " nofile=" + std::to_string(kMaxFiles) + " fsize=0 seccomp=kill";
  r.ok = true;
  return r;
}

std::string TryForbidden(const std::string& what) {
  int rc = -1;
  if (what == "open") {
    rc = open("/etc/passwd", O_RDONLY);
  } else if (what == "socket") {
    rc = socket(AF_INET, SOCK_STREAM, 0);
  } else if (what == "execve") {
    char* argv[] = {const_cast<char*>("/bin/true"), nullptr};
    char* env[] = {nullptr};
    rc = execve(argv[0], argv, env);
  } else if (what.starts_with("read:")) {
    int fd = open(what.c_str() + 5, O_RDONLY);
    char byte;
    rc = fd < 0 ? -1 : static_cast<int>(read(fd, &byte, 1));
  } else {
    return "unknown test " + what;
  }
  if (rc < 0 && (errno == EPERM || errno == EACCES)) return "";
  return what + " returned " + std::to_string(rc) + (rc < 0 ? Errno(" errno") : "");
}

}  // namespace ingestd::pdf
