// PrometheusProcess: Debian's `prometheus` server as a child process, for tests that check
// what a real Prometheus scrapes from ingestd. Each instance owns a temporary directory (its
// config, TSDB and log), listens on a free loopback port, and scrapes the one target it is
// given every second. The child runs under `timeout`, so a test that dies cannot leave it
// running for long. Not thread-safe: one test thread drives it.
#pragma once

#include <sys/types.h>

#include <string>

#include "harness/http_client.h"

namespace ingestd::itest {

class PrometheusProcess {
 public:
  // target: "127.0.0.1:PORT" of the ingestd to scrape at /metrics; bearer (if not empty) is
  // sent as its Authorization: Bearer credential.
  PrometheusProcess(std::string target, std::string bearer);
  ~PrometheusProcess();  // stops the server and removes its directory
  PrometheusProcess(const PrometheusProcess&) = delete;
  PrometheusProcess& operator=(const PrometheusProcess&) = delete;

  // Starts it and waits (up to timeout_ms) until GET /-/ready answers 200. Returns "" on
  // success, else why not, with the tail of its log.
  std::string Start(int timeout_ms = 60000);
  std::string base_url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  // GET /api/v1/query?query=<promql> (URL-encoded here).
  HttpResponse Query(const std::string& promql);
  std::string LogTail(size_t max_bytes = 3000) const;

 private:
  void Stop();

  std::string target_, bearer_, root_;
  pid_t pid_ = -1;
  int port_ = 0;
};

}  // namespace ingestd::itest
