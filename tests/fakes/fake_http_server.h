// FakeHttpServer: the transport under the provider fakes. Listens on a free loopback port,
// one thread per connection (Boost.Beast, synchronous, keep-alive), and answers each
// request with whatever the handler returns — including misbehaviour: hanging, or cutting a
// response short.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ingestd::fakes {

struct FakeRequest {
  std::string method;
  std::string target;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;
  std::string Header(std::string_view name) const;  // "" when absent
};

struct FakeReply {
  enum Action {
    kSend,  // the response below
    kHang,  // answer nothing for the server's hang_ms (or until it stops), then close
    kCut,   // promise body.size() bytes, send half, close
  } action = kSend;
  int status = 200;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string content_type = "application/json";
};

class FakeHttpServer {
 public:
  using Handler = std::function<FakeReply(const FakeRequest&)>;
  // The handler runs on connection threads, concurrently. port 0: a free one; else that port
  // (a test that points a client at a port before anything listens there: connections are
  // refused until the fake starts).
  FakeHttpServer(Handler handler, int64_t hang_ms, int port = 0);
  ~FakeHttpServer();  // stops: ends hangs and waits, closes connections, joins threads
  FakeHttpServer(const FakeHttpServer&) = delete;
  FakeHttpServer& operator=(const FakeHttpServer&) = delete;

  int port() const;
  std::string base_url() const;  // "http://127.0.0.1:<port>"
  int connections_accepted() const;
  // Sleeps ms, or less when the server stops; false when it is stopping.
  bool Wait(int64_t ms);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ingestd::fakes
