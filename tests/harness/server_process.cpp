#include "harness/server_process.h"

#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

extern char** environ;

namespace ingestd::itest {
namespace {

namespace fs = std::filesystem;
using Ms = std::chrono::milliseconds;

std::string ReadWhole(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// True for variables the parent must not leak into the server under test.
bool IsServerVariable(std::string_view name) {
  return name.starts_with("INGESTD_") || name == "SERVICE_MODE";
}

}  // namespace

std::string ServerProcess::BinaryPath() { return INGESTD_BINARY; }

ServerProcess::ServerProcess(std::map<std::string, std::string> extra_env) {
  std::string templ = (fs::temp_directory_path() / "ingestd-itest-XXXXXX").string();
  if (mkdtemp(templ.data()) == nullptr) std::abort();  // no temp dir: nothing can run
  root_ = templ;
  data_dir_ = root_ + "/data";
  fs::create_directories(data_dir_);
  env_ = {{"INGESTD_HOST", "127.0.0.1"},   {"INGESTD_PORT", "0"},
          {"INGESTD_DATA_DIR", data_dir_}, {"INGESTD_JWT_SECRET", kTestJwtSecret},
          {"INGESTD_LOG_LEVEL", "info"},   {"SERVICE_MODE", "mock"}};
  for (auto& [k, v] : extra_env) env_[k] = v;
}

ServerProcess::~ServerProcess() {
  if (running()) Stop();
  if (std::getenv("INGESTD_KEEP_TEST_DIRS") == nullptr) {
    std::error_code ec;
    fs::remove_all(root_, ec);
  }
}

void ServerProcess::SetEnv(const std::string& key, const std::string& value) { env_[key] = value; }
void ServerProcess::SetCommand(std::vector<std::string> args, std::string ready_line) {
  args_ = std::move(args);
  ready_line_ = std::move(ready_line);
}

void ServerProcess::UnsetEnv(const std::string& key) { env_.erase(key); }

std::string ServerProcess::base_url() const { return "http://127.0.0.1:" + std::to_string(port_); }

std::string ServerProcess::stderr_path() const {
  return root_ + "/stderr-" + std::to_string(starts_) + ".log";
}

std::string ServerProcess::StderrTail(size_t max_bytes) const {
  std::string all = ReadWhole(stderr_path());
  return all.size() <= max_bytes ? all : all.substr(all.size() - max_bytes);
}

std::string ServerProcess::Start(int timeout_ms) {
  if (running()) return "already running";
  std::string binary = BinaryPath();
  if (binary.empty()) return "this build has no ingestd binary";
  ++starts_;
  std::string out_path = root_ + "/stdout-" + std::to_string(starts_) + ".log";

  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string_view kv(*e);
    if (!IsServerVariable(kv.substr(0, kv.find('=')))) env_strings.emplace_back(kv);
  }
  for (auto& [k, v] : env_) env_strings.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<std::string> arg_strings = {"ingestd"};
  arg_strings.insert(arg_strings.end(), args_.begin(), args_.end());
  std::vector<char*> argv;
  for (auto& a : arg_strings) argv.push_back(a.data());
  argv.push_back(nullptr);

  // Opened before fork(): the child only dup2()s, so it calls nothing unsafe after a fork
  // in a (possibly) multi-threaded test process.
  std::string err_path = stderr_path();
  int in_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  int out_fd = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  int err_fd = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (in_fd < 0 || out_fd < 0 || err_fd < 0) return "cannot open the server's log files";
  const pid_t parent = getpid();
  pid_t pid = fork();
  if (pid == 0) {
    // A test process that dies (crash, abort, timeout kill) takes its server with it.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    if (dup2(in_fd, 0) < 0 || dup2(out_fd, 1) < 0 || dup2(err_fd, 2) < 0) _exit(127);
    execve(binary.c_str(), argv.data(), envp.data());
    _exit(127);
  }
  ::close(in_fd);
  ::close(out_fd);
  ::close(err_fd);
  if (pid < 0) return "fork failed: " + std::string(strerror(errno));
  pid_ = pid;

  // The listening line is the readiness signal; poll the captured stdout for it.
  const std::string kListening = "ingestd listening on http://127.0.0.1:";
  auto deadline = std::chrono::steady_clock::now() + Ms(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    std::string out = ReadWhole(out_path);
    if (!ready_line_.empty() && out.find(ready_line_ + "\n") != std::string::npos) {
      port_ = 0;
      return "";
    }
    size_t at = ready_line_.empty() ? out.find(kListening) : std::string::npos;
    size_t eol = at == std::string::npos ? at : out.find('\n', at);
    if (eol != std::string::npos) {
      port_ = std::atoi(out.c_str() + at + kListening.size());
      if (port_ <= 0) return "bad listening line: " + out.substr(at, eol - at);
      return "";
    }
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return "server exited during start-up (status " + std::to_string(status) + "):\n" +
             StderrTail();
    }
    std::this_thread::sleep_for(Ms(10));
  }
  Kill();
  return "no listening line within " + std::to_string(timeout_ms) + " ms:\n" + StderrTail();
}

std::optional<int> ServerProcess::ReapWithin(int timeout_ms) {
  auto deadline = std::chrono::steady_clock::now() + Ms(timeout_ms);
  do {
    int status = 0;
    pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_ || r < 0) {
      pid_ = -1;
      if (r < 0) return -1;
      return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
    }
    std::this_thread::sleep_for(Ms(5));
  } while (std::chrono::steady_clock::now() < deadline);
  return std::nullopt;
}

int ServerProcess::Signal(int sig, int timeout_ms) {
  if (!running()) return -1;
  kill(pid_, sig);
  if (auto code = ReapWithin(sig == SIGKILL ? 30000 : timeout_ms)) return *code;
  kill(pid_, SIGKILL);
  ReapWithin(30000);
  return -SIGKILL;
}

}  // namespace ingestd::itest
