#include "cli/test_routes.h"

#include <stdexcept>

namespace ingestd::cli {
namespace {

[[noreturn]] void Throw() { throw std::runtime_error("test route threw"); }

class ThrowOnBody final : public api::Exchange {
 public:
  Status OnBody(std::string_view) override { Throw(); }
  api::ApiResponse Finish() override { Throw(); }
};

}  // namespace

std::vector<api::Route> TestRoutes(const EnvLookup& env) {
  if (env("INGESTD_TEST_ROUTES") != "1") return {};
  return {
      {"GET", "/__test/throw", false,
       [](api::ApiContext&, const api::ApiRequest&) {
         Throw();
         return api::ApiResponse();
       }},
      {"GET", "/__test/throw-on-begin", false, nullptr,
       [](api::ApiContext&, api::ApiRequest&&) -> Result<std::unique_ptr<api::Exchange>> {
         Throw();
       }},
      {"POST", "/__test/throw-on-body", false, nullptr,
       [](api::ApiContext&, api::ApiRequest&&) -> Result<std::unique_ptr<api::Exchange>> {
         return std::unique_ptr<api::Exchange>(std::make_unique<ThrowOnBody>());
       }},
  };
}

}  // namespace ingestd::cli
