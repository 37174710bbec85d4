#include "api/http_server.h"

#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <limits>
#include <optional>
#include <thread>
#include <vector>

#include "api/correlation.h"
#include "api/errors.h"
#include "core/last_resort.h"
#include "core/log.h"
#include "core/trace.h"

namespace ingestd::api {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

constexpr size_t kBodyBufferBytes = 64 * 1024;

// The last resort for request handling: runs `work`, and turns an exception that escapes it
// into a logged 500 INTERNAL (nullopt when nothing escaped).
template <typename F>
std::optional<ApiResponse> Guarded(const std::string& correlation_id, F&& work) {
  if (!RunGuarded("request handling", work, {{"correlation_id", correlation_id}})) {
    return std::nullopt;
  }
  return ErrorResponse(Status::Internal("INTERNAL", "internal error"), correlation_id);
}

// A request target as the log may show it: no query, and no signed upload token (the path
// segment after /api/v1/blobs/ is a bearer credential for that upload, like a key).
std::string LoggedPath(const std::string& target) {
  std::string path = target.substr(0, target.find('?'));
  constexpr std::string_view kBlobs = "/api/v1/blobs/";
  if (path.starts_with(kBlobs) && path.size() > kBlobs.size()) {
    return std::string(kBlobs) + "[redacted]";
  }
  return path;
}

// Shared by the listener and every session.
struct ServerState {
  HttpServerOptions options;
  Dispatcher* dispatcher;
  RequestObserver* observer;  // may be null
  asio::thread_pool* handler_pool;
  std::atomic<int> connections{0};
  std::atomic<bool> stopping{false};  // streamed responses end at their next piece
};

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, ServerState* state) : stream_(std::move(socket)), state_(state) {
    state_->connections.fetch_add(1);
    // Without room reserved, Beast reads bodies in ~512-byte pieces: one syscall (and one
    // blob write) each.
    buffer_.reserve(kBodyBufferBytes);
  }
  ~Session() { state_->connections.fetch_sub(1); }

  void Start() {
    asio::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->ReadHeader(); });
  }

  // Answers 503 and closes: used when the server is at its connection cap.
  void RejectBusy() {
    ApiResponse r = ErrorResponse(
        Status::Unavailable("SERVER_BUSY", "too many open connections, retry shortly"),
        NewCorrelationId());
    Send(std::move(r), /*keep_alive=*/false);
  }

 private:
  void ReadHeader() {
    parser_.emplace();
    parser_->header_limit(state_->options.header_limit);
    parser_->body_limit(std::numeric_limits<std::uint64_t>::max());  // exchanges enforce limits
    // The first read of a request may wait as long as a keep-alive connection may idle.
    stream_.expires_after(first_request_ ? state_->options.read_timeout
                                         : state_->options.idle_timeout);
    first_request_ = false;
    http::async_read_header(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, size_t) { self->OnHeader(ec); });
  }

  void OnHeader(beast::error_code ec) {
    if (ec) {
      if (ec == http::error::header_limit) {
        return Send(ErrorResponse(Status::Error(Kind::kPayloadTooLarge, "HEADER_TOO_LARGE",
                                                "request header exceeds the limit"),
                                  NewCorrelationId()),
                    false);
      }
      // A parse error deserves an answer; a closed, reset or timed-out connection does not.
      if (ec.category() == http::make_error_code(http::error::bad_target).category() &&
          ec != http::error::end_of_stream && ec != http::error::partial_message) {
        log::Info("malformed request", {{"error", ec.message()}});
        return Send(ErrorResponse(Status::InvalidArgument("BAD_REQUEST", "malformed HTTP request"),
                                  NewCorrelationId()),
                    false);
      }
      return Close();
    }
    started_ = std::chrono::steady_clock::now();
    route_ = RouteMatch();
    const auto& head = parser_->get().base();
    method_ = std::string(head.method_string());
    target_ = std::string(head.target());
    correlation_id_ = CorrelationIdFrom(head);
    StartSpan(head);
    ApiResponse early;
    if (auto escaped = Guarded(correlation_id_, [&] {
          trace::ScopedSpan active(*span_);
          exchange_ = state_->dispatcher->Begin(head, correlation_id_, &early, &route_);
        })) {
      exchange_.reset();
      early = std::move(*escaped);
    }
    if (!exchange_) {
      // Keep the connection only when no unread body is pending.
      return Send(std::move(early), parser_->is_done() && parser_->keep_alive());
    }
    if (head[http::field::expect] == "100-continue" && !parser_->is_done()) {
      auto cont = std::make_shared<http::response<http::empty_body>>(http::status::continue_, 11);
      stream_.expires_after(state_->options.write_timeout);
      return http::async_write(stream_, *cont,
                               [self = shared_from_this(), cont](beast::error_code ec, size_t) {
                                 if (ec) return self->Close();
                                 self->ReadBody();
                               });
    }
    ReadBody();
  }

  void ReadBody() {
    if (parser_->is_done()) return Finish();
    parser_->get().body().data = body_buffer_;
    parser_->get().body().size = kBodyBufferBytes;
    stream_.expires_after(state_->options.read_timeout);
    http::async_read_some(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, size_t) { self->OnBody(ec); });
  }

  void OnBody(beast::error_code ec) {
    if (ec == http::error::need_buffer) ec = {};
    if (ec) {
      // Client gone or stalled: dropping the exchange discards any partial upload.
      span_->SetError("request body aborted");
      trace::ScopedSpan active(*span_);
      log::Info("request body aborted", {{"correlation_id", correlation_id_},
                                         {"path", LoggedPath(target_)},
                                         {"error", ec.message()}});
      exchange_.reset();
      return Close();
    }
    size_t got = kBodyBufferBytes - parser_->get().body().size;
    if (got > 0) {
      Status s;
      auto escaped = Guarded(correlation_id_, [&] {
        trace::ScopedSpan active(*span_);
        s = exchange_->OnBody(std::string_view(body_buffer_, got));
      });
      if (escaped || !s.ok()) {
        exchange_.reset();
        return Send(escaped ? std::move(*escaped) : ErrorResponse(s, correlation_id_), false);
      }
    }
    ReadBody();
  }

  void Finish() {
    keep_alive_ = parser_->keep_alive();
    asio::post(*state_->handler_pool, [self = shared_from_this()] {
      ApiResponse response;
      {
        trace::ScopedSpan active(*self->span_);
        response = RunFinish(*self->exchange_, self->correlation_id_);
        self->exchange_.reset();
      }
      asio::post(self->stream_.get_executor(), [self, r = std::move(response)]() mutable {
        self->Send(std::move(r), self->keep_alive_);
      });
    });
  }

  static ApiResponse RunFinish(Exchange& exchange, const std::string& correlation_id) {
    ApiResponse response;
    auto escaped = Guarded(correlation_id, [&] { response = exchange.Finish(); });
    return escaped ? std::move(*escaped) : std::move(response);
  }

  template <typename Body>
  void SetHeader(http::response<Body>& res, const ApiResponse& r, bool keep_alive) {
    res.set(http::field::server, "ingestd");
    res.set(http::field::content_type, r.content_type);
    if (!correlation_id_.empty()) res.set("X-Correlation-ID", correlation_id_);
    for (auto& [name, value] : r.headers) res.set(name, value);
    res.keep_alive(keep_alive);
    if (!method_.empty()) {
      const std::chrono::duration<double> took = std::chrono::steady_clock::now() - started_;
      std::optional<trace::ScopedSpan> active;
      if (span_) active.emplace(*span_);
      log::Info("http request",
                {{"correlation_id", correlation_id_},
                 {"method", method_},
                 {"path", LoggedPath(target_)},
                 {"status", r.status},
                 {"ms", std::chrono::duration_cast<std::chrono::milliseconds>(took).count()}});
      if (state_->observer) {
        state_->observer->OnRequest({method_, route_, r.status, r.error_code, took.count()});
      }
      active.reset();
      EndSpan(r);
    }
  }

  // The request's server span: a child of the client's traceparent, else the root of the
  // trace its correlation id names (core/trace.h).
  void StartSpan(const RequestHeader& head) {
    auto field = [&](const char* name) {
      auto v = head[name];
      return std::string_view(v.data(), v.size());
    };
    span_.emplace(method_, trace::SpanKind::kServer,
                  trace::ParentOf(field("traceparent"), field("tracestate"), correlation_id_));
    span_->SetAttribute("http.request.method", method_);
    span_->SetAttribute("ingestd.correlation_id", correlation_id_);
  }

  // Ends the request's span as its response header goes out (a streamed body is not in it).
  void EndSpan(const ApiResponse& r) {
    if (!span_) return;
    span_->SetName(method_ + " " + std::string(route_.pattern));
    span_->SetAttribute("http.route", std::string(route_.pattern));
    span_->SetAttribute("http.response.status_code", r.status);
    if (r.status >= 500) span_->SetError(r.error_code.empty() ? "server error" : r.error_code);
    span_.reset();
  }

  void Send(ApiResponse r, bool keep_alive) {
    if (r.stream) return SendStream(std::move(r), keep_alive);
    auto res = std::make_shared<http::response<http::string_body>>(
        static_cast<http::status>(r.status), 11);
    SetHeader(*res, r, keep_alive);
    res->body() = std::move(r.body);
    res->prepare_payload();
    stream_.expires_after(state_->options.write_timeout);
    http::async_write(stream_, *res,
                      [self = shared_from_this(), res](beast::error_code ec, size_t) {
                        if (ec || !res->keep_alive()) return self->Close();
                        self->NextRequest();
                      });
  }

  void NextRequest() {
    method_.clear();
    correlation_id_.clear();
    ReadHeader();
  }

  // A streamed body: the header, then one chunk per BodyStream piece, each made on the
  // handler pool only after the previous one was written (one piece in memory at a time; a
  // slow reader slows the producer down instead of filling a buffer), then the last chunk.
  void SendStream(ApiResponse r, bool keep_alive) {
    auto res =
        std::make_shared<http::response<http::empty_body>>(static_cast<http::status>(r.status), 11);
    SetHeader(*res, r, keep_alive);
    res->chunked(true);
    body_stream_ = std::move(r.stream);
    auto sr = std::make_shared<http::response_serializer<http::empty_body>>(*res);
    stream_.expires_after(state_->options.write_timeout);
    http::async_write_header(stream_, *sr,
                             [self = shared_from_this(), res, sr](beast::error_code ec, size_t) {
                               if (ec) return self->EndStream(false);
                               self->NextPiece(res->keep_alive());
                             });
  }

  void NextPiece(bool keep_alive) {
    if (state_->stopping.load()) return EndStream(false);
    asio::post(*state_->handler_pool, [self = shared_from_this(), keep_alive] {
      auto piece = std::make_shared<std::string>();
      Result<bool> more = false;
      const bool threw =
          RunGuarded("response stream", [&] { more = self->body_stream_->Next(piece.get()); },
                     {{"correlation_id", self->correlation_id_}})
              .has_value();
      asio::post(self->stream_.get_executor(), [self, piece, more, threw, keep_alive] {
        if (threw || !more.ok()) {
          if (!threw) {
            log::Warn("response stream failed", {{"correlation_id", self->correlation_id_},
                                                 {"error", more.status().ToString()}});
          }
          return self->EndStream(false);
        }
        self->WritePiece(piece, *more, keep_alive);
      });
    });
  }

  void WritePiece(std::shared_ptr<std::string> piece, bool more, bool keep_alive) {
    auto then = [self = shared_from_this(), more, keep_alive](beast::error_code ec) {
      if (ec) return self->EndStream(false);
      if (more) return self->NextPiece(keep_alive);
      self->stream_.expires_after(self->state_->options.write_timeout);
      asio::async_write(
          self->stream_, http::make_chunk_last(),
          [self, keep_alive](beast::error_code ec, size_t) { self->EndStream(!ec && keep_alive); });
    };
    if (piece->empty()) return then({});  // an empty chunk would end the body
    stream_.expires_after(state_->options.write_timeout);
    asio::async_write(stream_, http::make_chunk(asio::buffer(*piece)),
                      [piece, then](beast::error_code ec, size_t) { then(ec); });
  }

  // Drops the stream; a cut-off one closes the connection (the client sees no last chunk).
  void EndStream(bool keep_alive) {
    body_stream_.reset();
    if (!keep_alive) return Close();
    NextRequest();
  }

  void Close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.close();
  }

  beast::tcp_stream stream_;
  ServerState* state_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::buffer_body>> parser_;
  std::unique_ptr<Exchange> exchange_;
  std::shared_ptr<BodyStream> body_stream_;  // while a streamed response is sent
  std::string method_, target_, correlation_id_;
  std::optional<trace::Span> span_;  // from the request header to the response header
  std::chrono::steady_clock::time_point started_;
  RouteMatch route_;
  bool keep_alive_ = false;
  bool first_request_ = true;
  char body_buffer_[kBodyBufferBytes];
};

}  // namespace

struct HttpServer::Impl {
  Impl(HttpServerOptions o, Dispatcher* d, RequestObserver* observer)
      : ioc(o.io_threads),
        acceptor(asio::make_strand(ioc)),
        handler_pool(static_cast<size_t>(o.handler_threads)),
        state{std::move(o), d, observer, &handler_pool} {}

  void Accept() {
    acceptor.async_accept(asio::make_strand(ioc), [this](beast::error_code ec, tcp::socket s) {
      if (ec == asio::error::operation_aborted) return;
      if (!ec) {
        s.set_option(tcp::no_delay(true), ec);
        auto session = std::make_shared<Session>(std::move(s), &state);
        if (state.connections.load() > state.options.max_connections) {
          session->RejectBusy();
        } else {
          session->Start();
        }
      }
      Accept();
    });
  }

  asio::io_context ioc;
  tcp::acceptor acceptor;
  asio::thread_pool handler_pool;
  ServerState state;
  std::vector<std::thread> threads;
  uint16_t port = 0;
  bool stopped = false;
};

HttpServer::HttpServer(HttpServerOptions options, Dispatcher* dispatcher, RequestObserver* observer)
    : impl_(std::make_unique<Impl>(std::move(options), dispatcher, observer)) {}

HttpServer::~HttpServer() { Stop(); }

Status HttpServer::Listen() {
  beast::error_code ec;
  auto address = asio::ip::make_address(impl_->state.options.host, ec);
  if (ec) return Status::InvalidArgument("BAD_HOST", "cannot parse listen address");
  tcp::endpoint endpoint(address, impl_->state.options.port);
  auto& acc = impl_->acceptor;
  acc.open(endpoint.protocol(), ec);
  if (!ec) acc.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acc.bind(endpoint, ec);
  if (!ec) acc.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return Status::Unavailable("LISTEN_FAILED", "cannot listen: " + ec.message());
  impl_->port = acc.local_endpoint().port();
  return Status();
}

void HttpServer::Start() {
  impl_->Accept();
  for (int i = 0; i < impl_->state.options.io_threads; ++i) {
    impl_->threads.emplace_back([this] {
      // An exception out of a completion handler would end this thread (and, uncaught, the
      // process); log it and go on serving the other connections.
      while (RunGuarded("http I/O thread", [this] { impl_->ioc.run(); })) {
      }
    });
  }
}

uint16_t HttpServer::port() const { return impl_->port; }

void HttpServer::Stop() {
  if (impl_->stopped) return;
  impl_->stopped = true;
  impl_->state.stopping.store(true);
  asio::post(impl_->acceptor.get_executor(), [this] {
    beast::error_code ignored;
    impl_->acceptor.close(ignored);
  });
  // Let handlers already running finish so their responses and commits are not cut.
  impl_->handler_pool.join();
  impl_->ioc.stop();
  for (auto& t : impl_->threads) t.join();
  impl_->threads.clear();
}

}  // namespace ingestd::api
