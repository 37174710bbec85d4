// Route matching, query parsing, authentication and page parameters of the real route table
// (ApiRoutes(), its handlers replaced by a stub that reads limit/offset as list routes do).
// Input: "METHOD TARGET\n" then header lines "name: value" (an empty line ends them), then
// the body. Lines holding CR or NUL are dropped: the HTTP parser refuses them before routing.
#include <boost/beast/http.hpp>

#include "api/errors.h"
#include "api/router.h"
#include "core/clock.h"
#include "fuzz_target.h"

namespace {

boost::beast::string_view Beast(std::string_view s) { return {s.data(), s.size()}; }

std::vector<ingestd::api::Route> StubRoutes() {
  using namespace ingestd::api;
  std::vector<Route> routes = ApiRoutes();
  for (Route& r : routes) {
    r.stream = nullptr;
    r.handler = [](ApiContext&, const ApiRequest& req) {
      int limit = 20, offset = 0;
      if (auto s = PageParams(req, &limit, &offset); !s.ok()) {
        return ErrorResponse(s, req.correlation_id);
      }
      return JsonResponse(200, {{"limit", limit}, {"offset", offset}});
    };
  }
  return routes;
}

}  // namespace

INGESTD_FUZZ_TARGET(router) {
  namespace api = ingestd::api;
  static ingestd::FakeClock clock(1'700'000'000'000);
  static api::ApiContext ctx = [] {
    api::ApiContext c;
    c.clock = &clock;
    c.options.jwt_secret = "fuzz-jwt-secret";
    return c;
  }();
  static api::ApiRouter router(&ctx, StubRoutes());

  std::string_view in = ingestd::fuzz::AsText(data, size);
  auto [line, rest] = ingestd::fuzz::SplitAt(in, '\n');
  const size_t sp = line.find(' ');
  if (sp == std::string_view::npos) return 0;
  api::RequestHeader head;
  head.method_string(Beast(line.substr(0, sp)));
  head.target(Beast(line.substr(sp + 1)));
  while (!rest.empty()) {
    auto [h, after] = ingestd::fuzz::SplitAt(rest, '\n');
    rest = after;
    if (h.empty()) break;
    const size_t colon = h.find(':');
    if (colon == 0 || colon == std::string_view::npos ||
        h.find_first_of(std::string_view("\r\0", 2)) != std::string_view::npos) {
      continue;
    }
    std::string_view value = h.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    head.insert(Beast(h.substr(0, colon)), Beast(value));
  }
  api::ApiResponse early;
  api::RouteMatch matched;
  auto exchange = router.Begin(head, "fuzz-correlation", &early, &matched);
  if (exchange == nullptr) {
    if (early.status < 400 || early.status >= 500) __builtin_trap();  // refusals are 4xx
    return 0;
  }
  if (exchange->OnBody(rest).ok()) exchange->Finish();
  return 0;
}
