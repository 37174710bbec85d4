// The OpenAPI document (openapi.json, embedded) and the route table (ApiRoutes()) describe
// the same API: a route added without its entry, or an entry left behind by a removed route,
// fails here. Its auth is the route's: bearer security and 401 codes on authenticated routes,
// 403 ADMIN_REQUIRED on admin ones, and every {name} of a pattern is a path parameter.
#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "api/openapi.h"
#include "api/router.h"

namespace ingestd::api {
namespace {

using nlohmann::json;

json OpenApiJson() {
  auto assets = OpenApiAssets();
  EXPECT_EQ(assets.size(), 1u);
  EXPECT_EQ(assets[0].name, "openapi.json");
  EXPECT_EQ(assets[0].content_type, "application/json");
  return json::parse(assets[0].body);
}

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

constexpr const char* kMethods[] = {"get", "put", "post", "delete", "patch", "head", "options"};

std::vector<std::string> PathParams(const std::string& pattern) {
  std::vector<std::string> names;
  for (size_t open = pattern.find('{'); open != std::string::npos;
       open = pattern.find('{', open + 1)) {
    names.push_back(pattern.substr(open + 1, pattern.find('}', open) - open - 1));
  }
  return names;
}

std::set<std::string> ErrorCodes(const json& operation, const std::string& status) {
  std::set<std::string> codes;
  const json response = operation.value("responses", json::object()).value(status, json::object());
  const json schema = response.value("content", json::object())
                          .value("application/json", json::object())
                          .value("schema", json::object());
  const json code = schema.value("properties", json::object())
                        .value("error", json::object())
                        .value("properties", json::object())
                        .value("code", json::object());
  for (const json& c : code.value("enum", json::array())) codes.insert(c.get<std::string>());
  return codes;
}

TEST(OpenApiDocument, IsOpenApi31) {
  const json doc = OpenApiJson();
  EXPECT_EQ(doc["openapi"], "3.1.0");
  EXPECT_TRUE(doc["components"]["schemas"].contains("Error"));
}

TEST(OpenApiDocument, EveryRouteHasAnEntry) {
  const json doc = OpenApiJson();
  const json& paths = doc["paths"];
  for (const Route& r : ApiRoutes()) {
    ASSERT_TRUE(paths.contains(r.pattern)) << r.method << " " << r.pattern << " has no path";
    EXPECT_TRUE(paths[r.pattern].contains(Lower(r.method)))
        << r.method << " " << r.pattern << " has no operation";
  }
}

TEST(OpenApiDocument, EveryEntryHasARoute) {
  std::set<std::pair<std::string, std::string>> routes;
  for (const Route& r : ApiRoutes()) routes.insert({Lower(r.method), r.pattern});
  const json doc = OpenApiJson();
  for (const auto& [path, item] : doc["paths"].items()) {
    for (const char* method : kMethods) {
      if (item.contains(method)) {
        EXPECT_TRUE(routes.contains({method, path})) << method << " " << path << " is no route";
      }
    }
  }
}

TEST(OpenApiDocument, EntriesDeclareTheRoutesAuthAndPathParameters) {
  const json doc = OpenApiJson();
  const std::set<std::string> token_codes = {"TOKEN_MISSING", "TOKEN_MALFORMED", "TOKEN_SIGNATURE",
                                             "TOKEN_EXPIRED"};
  for (const Route& r : ApiRoutes()) {
    const std::string what = r.method + " " + r.pattern;
    const json operation =
        doc["paths"].value(r.pattern, json::object()).value(Lower(r.method), json::object());
    if (operation.empty()) continue;  // EveryRouteHasAnEntry names it
    if (r.authenticated) {
      EXPECT_EQ(operation.value("security", json()), json::parse(R"([{"bearer": []}])")) << what;
      std::set<std::string> codes = ErrorCodes(operation, "401");
      EXPECT_TRUE(std::includes(codes.begin(), codes.end(), token_codes.begin(), token_codes.end()))
          << what << " lacks the 401 token codes";
    } else {
      // Open: no requirement, or an optional one (the empty requirement among them).
      const json security = operation.value("security", json::array());
      EXPECT_TRUE(security.empty() ||
                  std::find(security.begin(), security.end(), json::object()) != security.end())
          << what << " is open but needs a bearer token in the document";
    }
    EXPECT_EQ(ErrorCodes(operation, "403").contains("ADMIN_REQUIRED"), r.admin_only) << what;
    EXPECT_TRUE(operation.value("responses", json::object()).contains("500")) << what;
    std::set<std::string> declared;
    for (const json& p : operation.value("parameters", json::array())) {
      if (p["in"] == "path") declared.insert(p["name"].get<std::string>());
    }
    for (const std::string& name : PathParams(r.pattern)) {
      EXPECT_TRUE(declared.contains(name)) << what << " does not declare {" << name << "}";
    }
  }
}

}  // namespace
}  // namespace ingestd::api
