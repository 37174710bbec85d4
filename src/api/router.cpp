#include "api/router.h"

#include <charconv>
#include <nlohmann/json.hpp>

#include "api/errors.h"
#include "core/jwt.h"
#include "core/trace.h"

namespace ingestd::api {
namespace {

std::vector<std::string_view> Segments(std::string_view path) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < path.size()) {
    if (path[i] == '/') {
      ++i;
      continue;
    }
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    out.push_back(path.substr(i, j - i));
    i = j;
  }
  return out;
}

bool Match(std::string_view pattern, std::string_view path,
           std::map<std::string, std::string>* params) {
  auto ps = Segments(pattern);
  auto xs = Segments(path);
  if (ps.size() != xs.size()) return false;
  std::map<std::string, std::string> found;
  for (size_t i = 0; i < ps.size(); ++i) {
    if (ps[i].size() > 2 && ps[i].front() == '{' && ps[i].back() == '}') {
      found[std::string(ps[i].substr(1, ps[i].size() - 2))] = PercentDecode(xs[i], false);
    } else if (ps[i] != xs[i]) {
      return false;
    }
  }
  *params = std::move(found);
  return true;
}

std::map<std::string, std::string> ParseQuery(std::string_view q) {
  std::map<std::string, std::string> out;
  while (!q.empty()) {
    size_t amp = q.find('&');
    std::string_view pair = q.substr(0, amp);
    size_t eq = pair.find('=');
    std::string key = PercentDecode(pair.substr(0, eq), true);
    if (!key.empty()) {
      out[key] = eq == std::string_view::npos ? "" : PercentDecode(pair.substr(eq + 1), true);
    }
    q = amp == std::string_view::npos ? std::string_view() : q.substr(amp + 1);
  }
  return out;
}

}  // namespace

Result<JwtClaims> Authenticate(const ApiRequest& req, const ApiContext& ctx) {
  std::string auth = req.Header("authorization");
  constexpr std::string_view kBearer = "Bearer ";
  if (auth.size() <= kBearer.size() || auth.compare(0, kBearer.size(), kBearer) != 0) {
    return Status::Error(Kind::kUnauthenticated, "TOKEN_MISSING",
                         "an Authorization: Bearer token is required");
  }
  return VerifyJwt(std::string_view(auth).substr(kBearer.size()), ctx.options.jwt_secret,
                   ctx.clock->NowMillis() / 1000);
}

namespace {

// Buffers a small body, then runs the route's handler.
class BufferedExchange final : public Exchange {
 public:
  BufferedExchange(ApiContext* ctx, ApiRequest req, const Handler* handler)
      : ctx_(ctx), req_(std::move(req)), handler_(handler) {}

  Status OnBody(std::string_view data) override {
    if (req_.body.size() + data.size() > ctx_->options.max_json_body) {
      return Status::Error(Kind::kPayloadTooLarge, "REQUEST_TOO_LARGE",
                           "request body exceeds " +
                               std::to_string(ctx_->options.max_json_body) + " bytes");
    }
    req_.body.append(data);
    return Status();
  }

  ApiResponse Finish() override { return (*handler_)(*ctx_, req_); }

 private:
  ApiContext* ctx_;
  ApiRequest req_;
  const Handler* handler_;
};

}  // namespace

std::string PercentDecode(std::string_view s, bool plus_is_space) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      int v = 0;
      auto [p, ec] = std::from_chars(s.data() + i + 1, s.data() + i + 3, v, 16);
      if (ec == std::errc() && p == s.data() + i + 3) {
        out.push_back(static_cast<char>(v));
        i += 2;
        continue;
      }
    }
    out.push_back(plus_is_space && s[i] == '+' ? ' ' : s[i]);
  }
  return out;
}

ApiResponse JsonResponse(int status, const nlohmann::json& body) {
  ApiResponse r;
  r.status = status;
  r.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return r;
}

ApiRouter::ApiRouter(ApiContext* ctx, std::vector<Route> routes)
    : ctx_(ctx), routes_(std::move(routes)) {}

std::unique_ptr<Exchange> ApiRouter::Begin(const RequestHeader& head,
                                           const std::string& correlation_id, ApiResponse* early,
                                           RouteMatch* matched) {
  std::string_view target(head.target().data(), head.target().size());
  size_t qmark = target.find('?');
  ApiRequest req;
  req.method = std::string(head.method_string());
  req.path = std::string(target.substr(0, qmark));
  if (qmark != std::string_view::npos) req.query = ParseQuery(target.substr(qmark + 1));
  req.correlation_id = correlation_id;
  if (const trace::SpanContext* span = trace::CurrentContext()) req.trace = *span;

  const Route* route = nullptr;
  bool path_known = false;
  for (const Route& r : routes_) {
    std::map<std::string, std::string> params;
    if (!Match(r.pattern, req.path, &params)) continue;
    path_known = true;
    if (r.method == req.method) {
      route = &r;
      req.params = std::move(params);
      break;
    }
  }
  if (route == nullptr) {
    *early = path_known ? ErrorResponse(Status::Error(Kind::kInvalidArgument, "METHOD_NOT_ALLOWED",
                                                      "method not allowed on this path"),
                                        correlation_id)
                        : ErrorResponse(Status::NotFound("ROUTE_NOT_FOUND", "no such endpoint"),
                                        correlation_id);
    if (path_known) early->status = 405;
    return nullptr;
  }
  *matched = {route->pattern, route->upload};

  for (const auto& field : head) {
    std::string name(field.name_string());
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    req.headers[name] = std::string(field.value());
  }
  if (route->authenticated) {
    auto claims = Authenticate(req, *ctx_);
    if (!claims.ok()) {
      *early = ErrorResponse(claims.status(), correlation_id);
      return nullptr;
    }
    req.caller = std::move(claims.value());
    if (route->admin_only && req.caller->role != "admin") {
      *early = ErrorResponse(Status::Error(Kind::kPermissionDenied, "ADMIN_REQUIRED",
                                           "this endpoint needs a token with role admin"),
                             correlation_id);
      return nullptr;
    }
  }
  if (route->stream) {
    auto exchange = route->stream(*ctx_, std::move(req));
    if (!exchange.ok()) {
      *early = ErrorResponse(exchange.status(), correlation_id);
      return nullptr;
    }
    return std::move(exchange.value());
  }
  return std::make_unique<BufferedExchange>(ctx_, std::move(req), &route->handler);
}

}  // namespace ingestd::api
