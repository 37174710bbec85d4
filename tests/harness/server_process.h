// ServerProcess: the real `ingestd serve` binary as a child process, for integration tests.
//
// Each instance owns a fresh temporary directory holding the data dir (INGESTD_DATA_DIR) and
// the captured stdout/stderr of every start. The server listens on a free loopback port
// (INGESTD_PORT=0); Start() waits for its `ingestd listening on http://127.0.0.1:<port>` line.
// The data dir survives Kill()/Stop() so a test can restart the server on the same state.
// Not thread-safe: one test thread drives it.
#pragma once

#include <sys/types.h>

#include <csignal>

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace ingestd::itest {

// The JWT secret every test server is started with (INGESTD_JWT_SECRET).
inline constexpr char kTestJwtSecret[] = "itest-jwt-secret-0123456789abcdef";

class ServerProcess {
 public:
  // extra_env is added to (and overrides) the defaults: INGESTD_HOST=127.0.0.1,
  // INGESTD_PORT=0, INGESTD_DATA_DIR, INGESTD_JWT_SECRET, INGESTD_LOG_LEVEL=info,
  // SERVICE_MODE=mock. Inherited INGESTD_* variables are dropped.
  explicit ServerProcess(std::map<std::string, std::string> extra_env = {});
  // Stops the server (SIGTERM, then SIGKILL after 10 s) and removes the temporary directory
  // unless INGESTD_KEEP_TEST_DIRS is set in the test's environment.
  ~ServerProcess();
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  // The path of the binary under test; empty when the build has no `ingestd` target.
  static std::string BinaryPath();

  // Environment changes apply from the next Start().
  void SetEnv(const std::string& key, const std::string& value);
  // The subcommand and its arguments ({"serve"} by default), from the next Start(). With a
  // ready_line, Start() waits for that line on stdout instead of the listening line (for
  // `ingestd worker`, which does not listen; port() is then 0).
  void SetCommand(std::vector<std::string> args, std::string ready_line = "");
  void UnsetEnv(const std::string& key);

  // Starts the server and waits (up to timeout_ms) for its listening line. Returns an empty
  // string on success, else a description of the failure including the stderr tail.
  std::string Start(int timeout_ms = 30000);
  // Sends sig and reaps the process (SIGKILL cannot be ignored; for other signals waits up
  // to timeout_ms, then SIGKILLs). Returns the exit code, or -signal if it died by a signal.
  int Signal(int sig, int timeout_ms = 10000);
  void Kill() { Signal(SIGKILL); }
  // Graceful stop (SIGTERM); returns the exit code as Signal() does.
  int Stop(int timeout_ms = 10000) { return Signal(SIGTERM, timeout_ms); }

  bool running() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }
  int port() const { return port_; }
  std::string base_url() const;
  const std::string& root_dir() const { return root_; }
  const std::string& data_dir() const { return data_dir_; }
  std::string db_path() const { return data_dir_ + "/ingestd.db"; }
  std::string blobs_dir() const { return data_dir_ + "/blobs"; }
  // The stderr (JSON log lines) of the current or latest start.
  std::string stderr_path() const;
  std::string StderrTail(size_t max_bytes = 4000) const;

 private:
  std::optional<int> ReapWithin(int timeout_ms);

  std::map<std::string, std::string> env_;
  std::vector<std::string> args_ = {"serve"};
  std::string ready_line_;
  std::string root_;
  std::string data_dir_;
  pid_t pid_ = -1;
  int port_ = 0;
  int starts_ = 0;
};

}  // namespace ingestd::itest
