#include "pdf/child_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace ingestd::pdf {

namespace {

constexpr size_t kErrTailBytes = 4096;
constexpr int kReapPollMillis = 5;  // while waiting for a child that closed its pipes

class Fd {
 public:
  Fd() = default;
  ~Fd() { Close(); }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int* raw() { return &fd_; }
  int get() const { return fd_; }
  void Close() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

bool MakePipe(Fd* read_end, Fd* write_end) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return false;
  *read_end->raw() = fds[0];
  *write_end->raw() = fds[1];
  return true;
}

// Reads what is available; returns false at EOF or error.
bool Drain(int fd, std::string* into) {
  char buf[65536];
  ssize_t n = read(fd, buf, sizeof buf);
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return true;
  if (n <= 0) return false;
  into->append(buf, static_cast<size_t>(n));
  return true;
}

int Spawn(const std::vector<std::string>& argv, int in_fd, int out_fd, int err_fd, pid_t* pid) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (in_fd >= 0) {
    posix_spawn_file_actions_adddup2(&actions, in_fd, STDIN_FILENO);
  } else {
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  }
  posix_spawn_file_actions_adddup2(&actions, out_fd, STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err_fd, STDERR_FILENO);
  // A descriptor another thread opened without O_CLOEXEC must not reach the child either.
  posix_spawn_file_actions_addclosefrom_np(&actions, 3);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);  // the service may ignore SIGPIPE; the child not
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  char* env[] = {nullptr};
  int rc = posix_spawn(pid, args[0], &actions, &attr, args.data(), env);
  posix_spawnattr_destroy(&attr);
  posix_spawn_file_actions_destroy(&actions);
  return rc;
}

}  // namespace

int RunChild(const std::vector<std::string>& argv, int stdin_fd, const ChildLimits& limits,
             const Clock& clock, ChildOutcome* outcome) {
  Fd out_r, out_w, err_r, err_w;
  if (!MakePipe(&out_r, &out_w) || !MakePipe(&err_r, &err_w)) return errno;
  const int64_t start = clock.MonotonicMillis();
  const int64_t deadline = start + limits.wall_millis;
  pid_t pid = 0;
  if (int rc = Spawn(argv, stdin_fd, out_w.get(), err_w.get(), &pid); rc != 0) return rc;
  out_w.Close();
  err_w.Close();

  bool killed = false;
  auto kill_child = [&](ChildOutcome::Stop why) {
    if (killed) return;
    kill(pid, SIGKILL);
    killed = true;
    outcome->stop = why;
  };
  bool out_open = true, err_open = true;
  int status = 0;
  for (;;) {
    int64_t left = deadline - clock.MonotonicMillis();
    if (left <= 0) kill_child(ChildOutcome::Stop::kWallClock);
    if (!out_open && !err_open) {
      // Pipes closed: reap, but a child that closed them and hangs still meets the deadline.
      pid_t r = waitpid(pid, &status, killed ? 0 : WNOHANG);
      if (r == pid) break;
      if (r < 0 && errno != EINTR) break;
      poll(nullptr, 0, kReapPollMillis);
      continue;
    }
    pollfd fds[2] = {{out_open ? out_r.get() : -1, POLLIN, 0},
                     {err_open ? err_r.get() : -1, POLLIN, 0}};
    int n = poll(fds, 2, static_cast<int>(std::clamp<int64_t>(left, 0, 1000)));
    if (n < 0 && errno != EINTR) kill_child(ChildOutcome::Stop::kWallClock);
    if (n <= 0) continue;
    if (fds[0].revents) out_open = Drain(out_r.get(), &outcome->out);
    if (fds[1].revents) {
      err_open = Drain(err_r.get(), &outcome->err_tail);
      if (outcome->err_tail.size() > 2 * kErrTailBytes) {
        outcome->err_tail.erase(0, outcome->err_tail.size() - kErrTailBytes);
      }
    }
    if (static_cast<int64_t>(outcome->out.size()) > limits.max_stdout_bytes) {
      kill_child(ChildOutcome::Stop::kOutputLimit);
      out_open = err_open = false;  // stop reading; reap below
    }
  }
  outcome->elapsed_millis = clock.MonotonicMillis() - start;
  if (!killed) {
    if (WIFSIGNALED(status)) {
      outcome->stop = ChildOutcome::Stop::kSignaled;
      outcome->signal = WTERMSIG(status);
    } else {
      outcome->stop = ChildOutcome::Stop::kExited;
      outcome->exit_code = WEXITSTATUS(status);
    }
  }
  return 0;
}

}  // namespace ingestd::pdf
