#include "cli/test_routes.h"

#include <atomic>
#include <charconv>
#include <stdexcept>

namespace ingestd::cli {
namespace {

[[noreturn]] void Throw() { throw std::runtime_error("test route threw"); }

class ThrowOnBody final : public api::Exchange {
 public:
  Status OnBody(std::string_view) override { Throw(); }
  api::ApiResponse Finish() override { Throw(); }
};

// Pieces made by every /__test/stream so far (this process).
std::atomic<int64_t> g_pieces_made{0};

int64_t QueryInt(const api::ApiRequest& req, const std::string& key, int64_t fallback) {
  auto it = req.query.find(key);
  int64_t v = fallback;
  if (it != req.query.end())
    std::from_chars(it->second.data(), it->second.data() + it->second.size(), v);
  return v;
}

// Piece i is "<i>:" padded with '.' to `size` bytes and a newline; piece fail_at fails,
// piece throw_at throws.
class TestStream final : public api::BodyStream {
 public:
  explicit TestStream(const api::ApiRequest& req)
      : pieces_(QueryInt(req, "pieces", 3)),
        size_(QueryInt(req, "size", 16)),
        fail_at_(QueryInt(req, "fail_at", -1)),
        throw_at_(QueryInt(req, "throw_at", -1)) {}

  Result<bool> Next(std::string* out) override {
    if (next_ == fail_at_) return Status::Internal("TEST_STREAM_FAILED", "test stream failed");
    if (next_ == throw_at_) Throw();
    *out = std::to_string(next_) + ":";
    out->resize(static_cast<size_t>(std::max<int64_t>(size_ - 1, 0)), '.');
    out->push_back('\n');
    g_pieces_made.fetch_add(1);
    return ++next_ < pieces_;
  }

 private:
  const int64_t pieces_, size_, fail_at_, throw_at_;
  int64_t next_ = 0;
};

}  // namespace

std::vector<api::Route> TestRoutes(const EnvLookup& env) {
  if (env("INGESTD_TEST_ROUTES") != "1") return {};
  return {
      {"GET", "/__test/throw", false,
       [](api::ApiContext&, const api::ApiRequest&) {
         Throw();
         return api::ApiResponse();
       },
       nullptr},
      {"GET", "/__test/throw-on-begin", false, nullptr,
       [](api::ApiContext&, api::ApiRequest&&) -> Result<std::unique_ptr<api::Exchange>> {
         Throw();
       }},
      {"GET", "/__test/stream", false,
       [](api::ApiContext&, const api::ApiRequest& req) {
         api::ApiResponse r;
         r.content_type = "text/plain";
         r.stream = std::make_shared<TestStream>(req);
         return r;
       },
       nullptr},
      {"GET", "/__test/stream-pieces", false,
       [](api::ApiContext&, const api::ApiRequest&) {
         return api::JsonResponse(200, {{"made", g_pieces_made.load()}});
       },
       nullptr},
      {"POST", "/__test/throw-on-body", false, nullptr,
       [](api::ApiContext&, api::ApiRequest&&) -> Result<std::unique_ptr<api::Exchange>> {
         return std::unique_ptr<api::Exchange>(std::make_unique<ThrowOnBody>());
       }},
  };
}

}  // namespace ingestd::cli
