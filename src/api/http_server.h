// HttpServer: Boost.Beast asynchronous HTTP/1.1 with keep-alive. It does I/O only: request
// handling is the Dispatcher's, and runs on a separate thread pool.
//
// Limits protect the process from slow or hostile clients: a header size cap, a read
// timeout for every read (a slow-loris client is dropped, and never occupies a thread), an
// idle timeout between keep-alive requests, and a cap on open connections.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "api/exchange.h"
#include "core/status.h"

namespace ingestd::api {

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 8080;  // 0 picks a free port; see HttpServer::port()
  int io_threads = 2;
  // Blocking request work (store, fsync). Mostly waiting on the disk, not the CPU: fsyncs
  // issued in parallel share journal commits, so more threads than cores raise upload
  // throughput (measured here: 4 → 913/s, 32 → 2067/s at 32 clients).
  int handler_threads = 32;
  // Longest wait for the next piece of a request (header or body) before the connection is
  // closed. Bounds how long a stalled upload holds its temp file.
  std::chrono::milliseconds read_timeout{30'000};
  // Longest a keep-alive connection may sit idle between requests.
  std::chrono::milliseconds idle_timeout{60'000};
  std::chrono::milliseconds write_timeout{30'000};
  uint32_t header_limit = 16 * 1024;
  int max_connections = 1024;  // beyond it new connections get 503 and close
};

class HttpServer {
 public:
  // dispatcher (and observer, which may be null) must outlive the server.
  HttpServer(HttpServerOptions options, Dispatcher* dispatcher,
             RequestObserver* observer = nullptr);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and listens; connections queue until Start().
  Status Listen();
  // Starts accepting, on the I/O and handler threads.
  void Start();
  // The bound port (after Listen).
  uint16_t port() const;
  // Stops accepting, closes connections, waits for in-flight handlers, joins threads.
  void Stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ingestd::api
