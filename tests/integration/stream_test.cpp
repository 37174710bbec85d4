// Streamed responses (api::BodyStream, chunked transfer) through the real HTTP server, with
// the test build's /__test/stream route (src/cli/test_routes.h): one chunk per piece, the
// connection kept alive after the last chunk, a failing or throwing piece cutting the body
// off without its last chunk, and a reader that stops reading holding the producer back.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdio>

#include "harness/raw_http.h"
#include "harness/test_support.h"

namespace ingestd::itest {
namespace {

class StreamTest : public ServerTest {
 protected:
  std::map<std::string, std::string> ServerEnv() const override {
    return {{"INGESTD_TEST_ROUTES", "1"}};
  }

  int64_t PiecesMade() {
    HttpResponse r = client_->Get("/__test/stream-pieces");
    EXPECT_EQ(r.status, 200) << r.Describe();
    return r.Json().value("made", int64_t{-1});
  }
};

// What /__test/stream sends for pieces of size bytes.
std::string Piece(int i, size_t size) {
  std::string p = std::to_string(i) + ":";
  p.resize(size - 1, '.');
  return p + "\n";
}

TEST_F(StreamTest, EachPieceIsOneChunkAndTheConnectionServesTheNextRequest) {
  RawConnection conn(server_->port());
  ASSERT_TRUE(conn.connected());
  ASSERT_TRUE(
      conn.SendAll("GET /__test/stream?pieces=300&size=100 HTTP/1.1\r\nHost: x\r\n\r\n"
                   "GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
  const auto got = conn.ReadUntilClose(30000);
  ASSERT_TRUE(got.closed);
  std::string error;
  const auto responses = ParseResponses(got.bytes, &error);
  ASSERT_EQ(error, "");
  ASSERT_EQ(responses.size(), 2u);
  const RawResponse& streamed = responses[0];
  EXPECT_EQ(streamed.status, 200);
  EXPECT_EQ(streamed.headers.at("transfer-encoding"), "chunked");
  EXPECT_EQ(streamed.headers.count("content-length"), 0u);
  EXPECT_EQ(streamed.headers.at("content-type"), "text/plain");
  EXPECT_EQ(streamed.headers.count("x-correlation-id"), 1u);
  EXPECT_EQ(streamed.chunks, 300u);
  std::string want;
  for (int i = 0; i < 300; ++i) want += Piece(i, 100);
  EXPECT_EQ(streamed.body, want);
  EXPECT_EQ(responses[1].status, 200);  // the same connection, after the last chunk
  EXPECT_EQ(PiecesMade(), 300);
}

TEST_F(StreamTest, APieceThatFailsOrThrowsCutsTheBodyOffAndTheServerLivesOn) {
  for (const std::string query : {"fail_at=3", "throw_at=3"}) {
    RawConnection conn(server_->port());
    ASSERT_TRUE(
        conn.SendAll("GET /__test/stream?pieces=10&" + query + " HTTP/1.1\r\nHost: x\r\n\r\n"));
    const auto got = conn.ReadUntilClose(30000);
    ASSERT_TRUE(got.closed) << query;  // closed, though the request asked for keep-alive
    std::string error;
    EXPECT_TRUE(ParseResponses(got.bytes, &error).empty()) << query;
    EXPECT_EQ(error, "truncated or bad chunk size") << query;  // no last chunk
    EXPECT_NE(got.bytes.find(Piece(2, 16)), std::string::npos) << query;
    EXPECT_EQ(got.bytes.find("\r\n3:"), std::string::npos) << query;
  }
  EXPECT_EQ(client_->Get("/health").status, 200);
  bool logged_throw = false;
  for (const json& line : ReadJsonLines(server_->stderr_path())) {
    logged_throw |= line.value("msg", "") == "last-resort catch" &&
                    line.value("where", "") == "response stream";
  }
  EXPECT_TRUE(logged_throw);
}

TEST_F(StreamTest, AReaderThatStopsReadingHoldsTheProducerBack) {
  // 200 pieces of 1 MiB. The server makes a piece only once the previous one is in the
  // socket, so while this client reads nothing past the first piece, at most what the two
  // socket buffers hold (a few MiB) can have been made — not the 200 MiB a buffered body
  // would be.
  constexpr size_t kPiece = 1 << 20;
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  const int rcvbuf = 64 * 1024;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(server_->port()));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  const std::string request = "GET /__test/stream?pieces=200&size=" + std::to_string(kPiece) +
                              " HTTP/1.1\r\nHost: x\r\n\r\n";
  ASSERT_EQ(send(fd, request.data(), request.size(), 0), ssize_t(request.size()));
  std::string got;
  char buf[64 * 1024];
  while (got.size() < 2 * kPiece) {  // the header and a little more than the first piece
    const ssize_t n = recv(fd, buf, sizeof buf, 0);
    ASSERT_GT(n, 0);
    got.append(buf, size_t(n));
  }
  const int64_t made = PiecesMade();
  std::printf("stream back-pressure: %lld of 200 pieces made after 2 MiB were read\n",
              static_cast<long long>(made));
  EXPECT_GE(made, 2);
  EXPECT_LE(made, 40) << "the server ran ahead of its reader";
  close(fd);  // the next write fails: the stream ends, the server goes on
  EXPECT_EQ(client_->Get("/health").status, 200);
}

}  // namespace
}  // namespace ingestd::itest
