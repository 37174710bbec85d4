#include "tests/fakes/fake_openai_server.h"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <limits>
#include <mutex>
#include <thread>

#include "core/crypto.h"
#include "services/det_random.h"
#include "services/openai_wire.h"
#include "text/tokenizer.h"

namespace ingestd::fakes {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using asio::ip::tcp;
using nlohmann::json;

namespace {

constexpr size_t kMaxInputs = 2048;
constexpr int64_t kMaxInputTokens = 8192;
constexpr int64_t kMaxRequestTokens = 300'000;

struct Reply {
  enum Action { kSend, kHang, kCut } action = kSend;
  int status = 200;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

Reply Error(int status, std::string_view message, std::string_view type,
            std::string_view param = {}, std::string_view code = {}) {
  return Reply{Reply::kSend, status, openai::ErrorBody(message, type, param, code).dump(), {}};
}

Reply InvalidInput(std::string_view message) {
  return Error(400, message, "invalid_request_error", "input");
}

std::string Masked(std::string_view key) {
  if (key.size() <= 8) return "****";
  return std::string(key.substr(0, 3)) + "****" + std::string(key.substr(key.size() - 4));
}

}  // namespace

struct FakeOpenAiServer::Impl {
  FakeOpenAiOptions options;
  asio::io_context ioc;
  tcp::acceptor acceptor{ioc};
  std::thread accept_thread;
  mutable std::mutex mu;
  std::condition_variable cv;
  bool stopping = false;
  std::deque<FaultSpec> faults;
  std::vector<LoggedRequest> log;
  std::vector<std::thread> threads;
  std::vector<std::shared_ptr<tcp::socket>> sockets;
  int accepted = 0;
  uint64_t request_seq = 0;

  // Waits ms, or less when the server stops. False when stopping.
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
      parser.body_limit(256 << 20);
      boost::system::error_code ec;
      bhttp::read(socket, buffer, parser, ec);
      if (ec) return;
      bhttp::request<bhttp::string_body> req = parser.release();
      const size_t log_index = Log(req);
      if (options.latency_ms > 0 && !Wait(options.latency_ms)) return;
      Reply reply = Handle(req, log_index);
      if (reply.action == Reply::kHang) {
        Wait(options.hang_ms);
        return;
      }
      {
        std::lock_guard lock(mu);
        log[log_index].status = reply.action == Reply::kSend ? reply.status : 0;
      }
      if (reply.action == Reply::kCut) {
        std::string head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " +
                           std::to_string(reply.body.size()) + "\r\n\r\n";
        asio::write(socket, asio::buffer(head + reply.body.substr(0, reply.body.size() / 2)), ec);
        return;
      }
      bhttp::response<bhttp::string_body> res{static_cast<bhttp::status>(reply.status),
                                              req.version()};
      res.set(bhttp::field::content_type, "application/json");
      for (auto& [k, v] : reply.headers) res.set(k, v);
      res.keep_alive(req.keep_alive());
      res.body() = std::move(reply.body);
      res.prepare_payload();
      bhttp::write(socket, res, ec);
      if (ec || !req.keep_alive()) return;
    }
  }

  size_t Log(const bhttp::request<bhttp::string_body>& req) {
    LoggedRequest entry;
    entry.method = std::string(req.method_string());
    entry.target = std::string(req.target());
    entry.authorization = std::string(req[bhttp::field::authorization]);
    entry.correlation_id = std::string(req["X-Correlation-ID"]);
    entry.body = json::parse(req.body(), nullptr, /*allow_exceptions=*/false);
    if (entry.body.is_discarded()) entry.body = nullptr;
    std::lock_guard lock(mu);
    log.push_back(std::move(entry));
    return log.size() - 1;
  }

  FaultSpec NextFault() {
    std::lock_guard lock(mu);
    if (faults.empty()) return {};
    FaultSpec f = faults.front();
    faults.pop_front();
    return f;
  }

  std::vector<std::pair<std::string, std::string>> RateHeaders(int64_t tokens) {
    std::lock_guard lock(mu);
    ++request_seq;
    return {{"x-request-id", "req_" + Sha256Hex(std::to_string(request_seq)).substr(0, 24)},
            {"openai-processing-ms", std::to_string(options.latency_ms)},
            {"x-ratelimit-limit-requests", "10000"},
            {"x-ratelimit-remaining-requests", "9999"},
            {"x-ratelimit-reset-requests", "6ms"},
            {"x-ratelimit-limit-tokens", "10000000"},
            {"x-ratelimit-remaining-tokens", std::to_string(10'000'000 - tokens)},
            {"x-ratelimit-reset-tokens", "0s"}};
  }

  Reply Handle(const bhttp::request<bhttp::string_body>& req, size_t log_index) {
    if (req.method() != bhttp::verb::post || req.target() != "/v1/embeddings") {
      return Error(404,
                   "Invalid URL (" + std::string(req.method_string()) + " " +
                       std::string(req.target()) + ")",
                   "invalid_request_error");
    }
    const std::string auth(req[bhttp::field::authorization]);
    if (!auth.starts_with("Bearer ") || auth.size() == 7) {
      return Error(401,
                   "You didn't provide an API key. You need to provide your API key in an "
                   "Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
                   "invalid_request_error");
    }
    const std::string_view key = std::string_view(auth).substr(7);
    if (!ConstantTimeEquals(key, options.api_key)) {
      return Error(
          401,
          "Incorrect API key provided: " + Masked(key) +
              ". You can find your API key at https://platform.openai.com/account/api-keys.",
          "invalid_request_error", "", "invalid_api_key");
    }
    const FaultSpec fault = NextFault();
    switch (fault.fault) {
      case EmbedFault::kRateLimit: {
        Reply r = Error(429,
                        "Rate limit reached for text-embedding-3-small in organization org-fake "
                        "on requests per min (RPM): Limit 3000, Used 3000, Requested 1.",
                        "requests", "", "rate_limit_exceeded");
        if (!fault.retry_after.empty()) r.headers.emplace_back("retry-after", fault.retry_after);
        if (!fault.retry_after_ms.empty()) {
          r.headers.emplace_back("retry-after-ms", fault.retry_after_ms);
        }
        if (!fault.reset_requests.empty()) {
          r.headers.emplace_back("x-ratelimit-remaining-requests", "0");
          r.headers.emplace_back("x-ratelimit-reset-requests", fault.reset_requests);
        }
        return r;
      }
      case EmbedFault::kQuota:
        return Error(429,
                     "You exceeded your current quota, please check your plan and billing "
                     "details.",
                     "insufficient_quota", "", "insufficient_quota");
      case EmbedFault::kServerError:
        return Error(500,
                     "The server had an error while processing your request. Sorry about that!",
                     "server_error");
      case EmbedFault::kUnavailable:
        return Error(503, "The engine is currently overloaded, please try again later.",
                     "server_error");
      case EmbedFault::kHang:
        return Reply{Reply::kHang, 0, "", {}};
      case EmbedFault::kMalformedJson:
        return Reply{Reply::kSend, 200, "<html>upstream proxy error</html>", {}};
      default:
        break;
    }
    Reply ok = Embeddings(req.body(), log_index);
    if (ok.status != 200) return ok;
    return ApplyDataFault(fault.fault, std::move(ok));
  }

  Reply Embeddings(const std::string& text, size_t log_index) {
    json body = json::parse(text, nullptr, false);
    if (body.is_discarded() || !body.is_object()) {
      return Error(400,
                   "We could not parse the JSON body of your request. (HINT: This likely means "
                   "you aren't using your HTTP library correctly.)",
                   "invalid_request_error");
    }
    if (!body.contains("model") || !body["model"].is_string()) {
      return Error(400, "you must provide a model parameter", "invalid_request_error");
    }
    const std::string model = body["model"];
    const int native = NativeDimensions(model);
    if (native == 0) {
      return Error(404, "The model `" + model + "` does not exist or you do not have access to it.",
                   "invalid_request_error", "", "model_not_found");
    }
    std::vector<std::string> inputs;
    if (!body.contains("input")) return InvalidInput("'input' is a required property");
    const json& input = body["input"];
    if (input.is_string()) {
      inputs.push_back(input);
    } else if (input.is_array() && !input.empty()) {
      for (const json& item : input) {
        if (!item.is_string())
          return InvalidInput(
              "'$.input' is invalid. Please check the API reference: "
              "https://platform.openai.com/docs/api-reference.");
        inputs.push_back(item);
      }
    } else {
      return InvalidInput(
          "'$.input' is invalid. Please check the API reference: "
          "https://platform.openai.com/docs/api-reference.");
    }
    if (inputs.size() > kMaxInputs) {
      return InvalidInput(
          "'$.input' is invalid. Please check the API reference: "
          "https://platform.openai.com/docs/api-reference.");
    }
    int64_t tokens = 0;
    const Tokenizer& tok = Tokenizer::Cl100kBase();
    for (const std::string& s : inputs) {
      if (s.empty())
        return InvalidInput(
            "'$.input' is invalid. Please check the API reference: "
            "https://platform.openai.com/docs/api-reference.");
      const auto n = static_cast<int64_t>(tok.Count(s));
      if (n > kMaxInputTokens) {
        return InvalidInput(
            "This model's maximum context length is 8192 tokens, however you "
            "requested " +
            std::to_string(n) + " tokens (" + std::to_string(n) +
            " in your prompt; 0 for the completion). Please reduce your prompt; "
            "or completion length.");
      }
      tokens += n;
    }
    if (tokens > kMaxRequestTokens) {
      return Error(400,
                   "Requested " + std::to_string(tokens) + " tokens, max 300000 tokens per request",
                   "max_tokens_per_request", "", "max_tokens_per_request");
    }
    int dims = native;
    if (body.contains("dimensions")) {
      const json& d = body["dimensions"];
      if (!d.is_number_integer() || d.get<int64_t>() < 1 || d.get<int64_t>() > native ||
          model == "text-embedding-ada-002") {
        return Error(400, "This model does not support specifying dimensions.",
                     "invalid_request_error", "dimensions");
      }
      dims = d.get<int>();
    }
    const std::string format = body.value("encoding_format", std::string("float"));
    if (format != "float" && format != "base64") {
      return Error(400, "'" + format + "' is not one of ['float', 'base64'] - 'encoding_format'",
                   "invalid_request_error", "encoding_format");
    }
    {
      std::lock_guard lock(mu);
      log[log_index].inputs = inputs.size();
      log[log_index].tokens = tokens;
    }
    json data = json::array();
    for (size_t i = 0; i < inputs.size(); ++i) {
      std::vector<float> v = VectorFor(model, dims, inputs[i]);
      json item = {{"object", "embedding"}, {"index", i}};
      if (format == "base64") {
        item["embedding"] = openai::EncodeFloat32Base64(v);
      } else {
        item["embedding"] = v;
      }
      data.push_back(std::move(item));
    }
    if (options.reverse_data) std::reverse(data.begin(), data.end());
    json out = {{"object", "list"},
                {"data", std::move(data)},
                {"model", model},
                {"usage", {{"prompt_tokens", tokens}, {"total_tokens", tokens}}}};
    return Reply{Reply::kSend, 200, out.dump(), RateHeaders(tokens)};
  }

  static Reply ApplyDataFault(EmbedFault fault, Reply ok) {
    if (fault == EmbedFault::kNone) return ok;
    if (fault == EmbedFault::kTruncatedJson) {
      ok.body.resize(ok.body.size() / 2);
      return ok;
    }
    if (fault == EmbedFault::kTruncatedBody) {
      ok.action = Reply::kCut;
      return ok;
    }
    json body = json::parse(ok.body);
    json& first = body["data"][0]["embedding"];
    auto mutate = [&](auto&& fn) {
      if (first.is_string()) {
        std::vector<float> v = *openai::DecodeFloat32Base64(first.get<std::string>());
        fn(v);
        first = openai::EncodeFloat32Base64(v);
      } else {
        std::vector<float> v = first.get<std::vector<float>>();
        fn(v);
        first = v;  // a NaN serializes as null: JSON has no NaN
      }
    };
    if (fault == EmbedFault::kWrongCount) body["data"].erase(body["data"].size() - 1);
    if (fault == EmbedFault::kWrongDimension) mutate([](std::vector<float>& v) { v.pop_back(); });
    if (fault == EmbedFault::kNaN) {
      mutate([](std::vector<float>& v) { v[0] = std::numeric_limits<float>::quiet_NaN(); });
    }
    ok.body = body.dump();
    return ok;
  }
};

FakeOpenAiServer::FakeOpenAiServer(FakeOpenAiOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), 0);
  impl_->acceptor.open(ep.protocol());
  impl_->acceptor.set_option(tcp::acceptor::reuse_address(true));
  impl_->acceptor.bind(ep);
  impl_->acceptor.listen();
  impl_->accept_thread = std::thread([this] { impl_->AcceptLoop(); });
}

FakeOpenAiServer::~FakeOpenAiServer() {
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

int FakeOpenAiServer::port() const { return impl_->acceptor.local_endpoint().port(); }

std::string FakeOpenAiServer::base_url() const {
  return "http://127.0.0.1:" + std::to_string(port());
}

void FakeOpenAiServer::PushFaults(std::vector<FaultSpec> faults) {
  std::lock_guard lock(impl_->mu);
  for (auto& f : faults) impl_->faults.push_back(std::move(f));
}

std::vector<LoggedRequest> FakeOpenAiServer::requests() const {
  std::lock_guard lock(impl_->mu);
  return impl_->log;
}

int FakeOpenAiServer::connections_accepted() const {
  std::lock_guard lock(impl_->mu);
  return impl_->accepted;
}

int FakeOpenAiServer::NativeDimensions(std::string_view model) {
  if (model == "text-embedding-3-small" || model == "text-embedding-ada-002") return 1536;
  if (model == "text-embedding-3-large") return 3072;
  return 0;
}

std::vector<float> FakeOpenAiServer::VectorFor(std::string_view model, int dimensions,
                                               std::string_view text) {
  // Uniform in [-1, 1): distinct per text, stable across runs and processes.
  SplitMix64 rng(Fnv1a64(text, Fnv1a64(model)));
  std::vector<float> out(static_cast<size_t>(dimensions));
  for (float& v : out)
    v = static_cast<float>(static_cast<double>(rng.Next() >> 11) * 0x1.0p-52 - 1.0);
  return out;
}

}  // namespace ingestd::fakes
