#include "harness/raw_http.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <charconv>

namespace ingestd::itest {
namespace {

using SteadyClock = std::chrono::steady_clock;
using std::chrono::milliseconds;

int MsLeft(SteadyClock::time_point deadline) {
  auto left = std::chrono::duration_cast<milliseconds>(deadline - SteadyClock::now()).count();
  return static_cast<int>(std::max<int64_t>(left, 0));
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

RawConnection::RawConnection(int port) {
  fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  connected_ = fd_ >= 0 && connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
}

RawConnection::~RawConnection() {
  if (fd_ >= 0) close(fd_);
}

bool RawConnection::SendAll(std::string_view data) {
  while (!data.empty()) {
    ssize_t n = send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

void RawConnection::ShutdownWrite() { shutdown(fd_, SHUT_WR); }

RawConnection::Received RawConnection::ReadUntilClose(int timeout_ms) {
  const auto deadline = SteadyClock::now() + milliseconds(timeout_ms);
  Received out;
  char buf[16384];
  while (SteadyClock::now() < deadline) {
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, std::max(MsLeft(deadline), 1)) <= 0) continue;
    ssize_t n = recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) {  // EOF, or a reset after the server closed with unread input
      out.closed = true;
      out.reset = n < 0;
      break;
    }
    out.bytes.append(buf, static_cast<size_t>(n));
  }
  return out;
}

std::optional<milliseconds> RawConnection::WaitForClose(int timeout_ms) {
  const auto start = SteadyClock::now();
  if (!ReadUntilClose(timeout_ms).closed) return std::nullopt;
  return std::chrono::duration_cast<milliseconds>(SteadyClock::now() - start);
}

std::vector<RawResponse> ParseResponses(std::string_view bytes, std::string* error) {
  std::vector<RawResponse> out;
  error->clear();
  while (!bytes.empty()) {
    const size_t head_end = bytes.find("\r\n\r\n");
    if (head_end == std::string_view::npos) {
      *error = "truncated response header";
      return out;
    }
    std::string_view head = bytes.substr(0, head_end);
    const size_t line_end = head.find("\r\n");
    std::string_view status_line = head.substr(0, line_end);
    RawResponse r;
    if (!status_line.starts_with("HTTP/1.1 ") || status_line.size() < 12 ||
        std::from_chars(status_line.data() + 9, status_line.data() + 12, r.status).ptr !=
            status_line.data() + 12 ||
        r.status < 100 || r.status > 599) {
      *error = "bad status line: " + std::string(status_line.substr(0, 80));
      return out;
    }
    std::string_view fields =
        line_end == std::string_view::npos ? std::string_view() : head.substr(line_end + 2);
    while (!fields.empty()) {
      const size_t eol = std::min(fields.find("\r\n"), fields.size());
      std::string_view field = fields.substr(0, eol);
      const size_t colon = field.find(':');
      if (colon == std::string_view::npos || colon == 0) {
        *error = "bad header field: " + std::string(field.substr(0, 80));
        return out;
      }
      std::string_view value = field.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
      r.headers[Lower(std::string(field.substr(0, colon)))] = std::string(value);
      fields.remove_prefix(std::min(eol + 2, fields.size()));
    }
    bytes.remove_prefix(head_end + 4);
    const bool no_body = r.status < 200 || r.status == 204 || r.status == 304;
    auto te = r.headers.find("transfer-encoding");
    if (!no_body && te != r.headers.end()) {
      if (te->second != "chunked" || r.headers.count("content-length")) {
        *error = "bad Transfer-Encoding: " + te->second;
        return out;
      }
      // chunk = hex-size CRLF data CRLF; the last has size 0 and no trailer here.
      for (;;) {
        const size_t eol = bytes.find("\r\n");
        size_t size = 0;
        if (eol == std::string_view::npos || eol == 0 ||
            std::from_chars(bytes.data(), bytes.data() + eol, size, 16).ptr != bytes.data() + eol) {
          *error = "truncated or bad chunk size";
          return out;
        }
        if (bytes.size() < eol + 2 + size + 2 || bytes.substr(eol + 2 + size, 2) != "\r\n") {
          *error = "truncated chunk";
          return out;
        }
        if (size == 0) {
          bytes.remove_prefix(eol + 4);
          break;
        }
        r.body.append(bytes.substr(eol + 2, size));
        ++r.chunks;
        bytes.remove_prefix(eol + 2 + size + 2);
      }
    } else if (!no_body) {
      auto cl = r.headers.find("content-length");
      size_t length = 0;
      if (cl == r.headers.end() ||
          std::from_chars(cl->second.data(), cl->second.data() + cl->second.size(), length).ptr !=
              cl->second.data() + cl->second.size()) {
        *error = "response without a valid Content-Length";
        return out;
      }
      if (bytes.size() < length) {
        *error = "truncated response body";
        return out;
      }
      r.body = std::string(bytes.substr(0, length));
      bytes.remove_prefix(length);
    }
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace ingestd::itest
