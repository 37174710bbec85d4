#include "tests/fakes/fake_http_server.h"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <cctype>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace ingestd::fakes {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using asio::ip::tcp;

std::string FakeRequest::Header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (k == name) return v;
  }
  return "";
}

struct FakeHttpServer::Impl {
  Handler handler;
  int64_t hang_ms = 0;
  asio::io_context ioc;
  tcp::acceptor acceptor{ioc};
  std::thread accept_thread;
  mutable std::mutex mu;
  std::condition_variable cv;
  bool stopping = false;
  std::vector<std::thread> threads;
  std::vector<std::shared_ptr<tcp::socket>> sockets;
  int accepted = 0;

  bool Wait(int64_t ms) {
    std::unique_lock lock(mu);
    cv.wait_for(lock, std::chrono::milliseconds(ms), [&] { return stopping; });
    return !stopping;
  }

  void AcceptLoop() {
    for (;;) {
      auto socket = std::make_shared<tcp::socket>(ioc);
      boost::system::error_code ec;
      acceptor.accept(*socket, ec);
      std::lock_guard lock(mu);
      if (stopping) return;
      if (ec) continue;
      ++accepted;
      sockets.push_back(socket);
      threads.emplace_back([this, socket] {
        Serve(*socket);
        std::lock_guard lock(mu);  // the destructor may be shutting sockets down
        boost::system::error_code ignored;
        socket->shutdown(tcp::socket::shutdown_both, ignored);
        socket->close(ignored);
      });
    }
  }

  void Serve(tcp::socket& socket) {
    beast::flat_buffer buffer;
    for (;;) {
      bhttp::request_parser<bhttp::string_body> parser;
      parser.body_limit(512u << 20);
      boost::system::error_code ec;
      bhttp::read(socket, buffer, parser, ec);
      if (ec) return;
      bhttp::request<bhttp::string_body> req = parser.release();
      FakeRequest in;
      in.method = std::string(req.method_string());
      in.target = std::string(req.target());
      for (const auto& field : req) {
        std::string name(field.name_string());
        for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        in.headers.emplace_back(std::move(name), std::string(field.value()));
      }
      in.body = std::move(req.body());
      FakeReply reply = handler(in);
      if (reply.action == FakeReply::kHang) {
        Wait(hang_ms);
        return;
      }
      if (reply.action == FakeReply::kCut) {
        const std::string head = "HTTP/1.1 200 OK\r\nContent-Type: " + reply.content_type +
                                 "\r\nContent-Length: " + std::to_string(reply.body.size()) +
                                 "\r\n\r\n";
        asio::write(socket, asio::buffer(head + reply.body.substr(0, reply.body.size() / 2)), ec);
        return;
      }
      bhttp::response<bhttp::string_body> res{static_cast<bhttp::status>(reply.status),
                                              req.version()};
      res.set(bhttp::field::content_type, reply.content_type);
      for (auto& [k, v] : reply.headers) res.set(k, v);
      res.keep_alive(req.keep_alive());
      res.body() = std::move(reply.body);
      res.prepare_payload();
      bhttp::write(socket, res, ec);
      if (ec || !req.keep_alive()) return;
    }
  }
};

FakeHttpServer::FakeHttpServer(Handler handler, int64_t hang_ms, int port)
    : impl_(std::make_unique<Impl>()) {
  impl_->handler = std::move(handler);
  impl_->hang_ms = hang_ms;
  tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port));
  impl_->acceptor.open(ep.protocol());
  impl_->acceptor.set_option(tcp::acceptor::reuse_address(true));
  impl_->acceptor.bind(ep);
  impl_->acceptor.listen();
  impl_->accept_thread = std::thread([this] { impl_->AcceptLoop(); });
}

FakeHttpServer::~FakeHttpServer() {
  {
    std::lock_guard lock(impl_->mu);
    impl_->stopping = true;
    for (auto& s : impl_->sockets) {
      boost::system::error_code ec;
      s->shutdown(tcp::socket::shutdown_both, ec);
    }
  }
  impl_->cv.notify_all();
  {
    // Unblock accept() with a connection of our own.
    asio::io_context ioc;
    tcp::socket poke(ioc);
    boost::system::error_code ec;
    poke.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port()), ec);
  }
  impl_->accept_thread.join();
  for (auto& t : impl_->threads) t.join();
}

int FakeHttpServer::port() const { return impl_->acceptor.local_endpoint().port(); }

std::string FakeHttpServer::base_url() const {
  return "http://127.0.0.1:" + std::to_string(port());
}

int FakeHttpServer::connections_accepted() const {
  std::lock_guard lock(impl_->mu);
  return impl_->accepted;
}

bool FakeHttpServer::Wait(int64_t ms) { return impl_->Wait(ms); }

}  // namespace ingestd::fakes
