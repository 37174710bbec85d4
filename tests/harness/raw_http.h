// Raw HTTP over a loopback TCP socket, for clients that misbehave on purpose (malformed
// framing, pipelining, half-sent requests): a connection, and a strict parser of the
// HTTP/1.1 responses a server sent on it.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ingestd::itest {

class RawConnection {
 public:
  explicit RawConnection(int port);
  ~RawConnection();
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  bool connected() const { return connected_; }
  // False when the server closed or reset the connection before everything was sent.
  bool SendAll(std::string_view data);
  // Half-closes: the server reads EOF after what was sent.
  void ShutdownWrite();
  struct Received {
    std::string bytes;
    bool closed = false;  // the server closed (EOF or reset) before the timeout
    bool reset = false;   // by a reset: bytes it sent before may have been dropped
  };
  // Everything the server sends until it closes the connection or timeout_ms pass.
  Received ReadUntilClose(int timeout_ms);
  // Waits until the server closes the connection (EOF or reset), discarding anything it
  // sends first (e.g. a 408). Returns the elapsed time, or nullopt on timeout.
  std::optional<std::chrono::milliseconds> WaitForClose(int timeout_ms);

 private:
  int fd_ = -1;
  bool connected_ = false;
};

struct RawResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // keys lower-case
  std::string body;                            // a chunked body decoded
  size_t chunks = 0;                           // data chunks of a chunked body
};

// The responses in bytes, one after another (1xx interim ones included). Stops at the
// first that is not a well-formed HTTP/1.1 response with a Content-Length or chunked body
// (a truncated last one included) and says why in *error; *error is empty when all parsed.
std::vector<RawResponse> ParseResponses(std::string_view bytes, std::string* error);

}  // namespace ingestd::itest
