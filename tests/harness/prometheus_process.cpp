#include "harness/prometheus_process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
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

// A port nothing listens on now (bound to 0 and released); Start retries if it is taken
// before prometheus binds it.
int FreeLoopbackPort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  int port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0) {
    port = ntohs(a.sin_port);
  }
  ::close(fd);
  return port;
}

std::string UrlEncode(const std::string& s) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out += {'%', kHex[c >> 4], kHex[c & 15]};
    }
  }
  return out;
}

}  // namespace

PrometheusProcess::PrometheusProcess(std::string target, std::string bearer)
    : target_(std::move(target)), bearer_(std::move(bearer)) {
  std::string templ = (fs::temp_directory_path() / "ingestd-prometheus-XXXXXX").string();
  if (mkdtemp(templ.data()) == nullptr) std::abort();
  root_ = templ;
  std::ofstream config(root_ + "/prometheus.yml");
  config << "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
         << "scrape_configs:\n  - job_name: ingestd\n    metrics_path: /metrics\n";
  if (!bearer_.empty()) config << "    authorization:\n      credentials: '" << bearer_ << "'\n";
  config << "    static_configs:\n      - targets: ['" << target_ << "']\n";
}

PrometheusProcess::~PrometheusProcess() {
  Stop();
  std::error_code ec;
  fs::remove_all(root_, ec);
}

void PrometheusProcess::Stop() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);  // `timeout` passes it on to prometheus
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
}

std::string PrometheusProcess::LogTail(size_t max_bytes) const {
  std::ifstream in(root_ + "/prometheus.log");
  std::stringstream ss;
  ss << in.rdbuf();
  std::string all = ss.str();
  return all.size() <= max_bytes ? all : all.substr(all.size() - max_bytes);
}

std::string PrometheusProcess::Start(int timeout_ms) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  for (int tries = 0; tries < 3; ++tries) {
    port_ = FreeLoopbackPort();
    std::vector<std::string> args = {"timeout",
                                     "600",
                                     "prometheus",
                                     "--config.file=" + root_ + "/prometheus.yml",
                                     "--storage.tsdb.path=" + root_ + "/tsdb",
                                     "--web.listen-address=127.0.0.1:" + std::to_string(port_),
                                     "--log.level=warn"};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    const std::string log = root_ + "/prometheus.log";
    posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    const int rc = posix_spawnp(&pid_, "timeout", &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) return "cannot start prometheus: " + std::string(strerror(rc));

    HttpClient client(base_url());
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {  // port taken, or a bad config
        pid_ = -1;
        break;
      }
      HttpRequest ready;
      ready.target = "/-/ready";
      ready.timeout_ms = 1000;
      if (client.Send(ready).status == 200) return "";
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    if (pid_ > 0) break;  // still running but never ready
  }
  Stop();
  return "prometheus did not become ready:\n" + LogTail();
}

HttpResponse PrometheusProcess::Query(const std::string& promql) {
  HttpClient client(base_url());
  return client.Get("/api/v1/query?query=" + UrlEncode(promql));
}

}  // namespace ingestd::itest
