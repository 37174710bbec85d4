// Hostile input over the socket (issue 12 §1): no request, however malformed, crashes
// `ingestd serve` or gets a 5xx other than 503; wrong JSON types are 400/401 with a code.
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "core/crypto.h"
#include "core/jwt.h"
#include "harness/test_support.h"

namespace ingestd::itest {
namespace {

class HostileTest : public ServerTest {
 protected:
  // The server still answers after whatever the test sent.
  void ExpectAlive() {
    HttpResponse h = client_->Get("/health");
    EXPECT_EQ(h.status, 200) << h.Describe() << "\n" << server_->StderrTail();
  }
};

// Every JSON type in every JWT header and payload field is a 401 TOKEN_MALFORMED, signed or
// not, and the server lives on (a wrong-typed "alg" used to abort it on the I/O thread).
TEST_F(HostileTest, WrongJsonTypesInJwtFieldsAre401Malformed) {
  const std::vector<std::string> values = {"1", "1.5", "null", "true", "[]", "[\"HS256\"]", "{}"};
  std::vector<std::string> tokens;
  auto add = [&](const std::string& header, const std::string& payload) {
    std::string input = Base64UrlEncode(header) + "." + Base64UrlEncode(payload);
    tokens.push_back(input + ".c2ln");  // unsigned: what an anonymous attacker can send
    tokens.push_back(input + "." + Base64UrlEncode(HmacSha256(kTestJwtSecret, input)));
  };
  const std::string ok_header = R"({"alg":"HS256","typ":"JWT"})";
  const std::string ok_payload = R"({"sub":"alice","role":"user","exp":9999999999})";
  for (const auto& v : values) {
    for (const char* f : {"alg", "typ", "kid"}) {
      json header = json::parse(ok_header);
      header[f] = json::parse(v);
      add(header.dump(), ok_payload);
    }
    for (const char* f : {"sub", "role", "exp"}) {
      json payload = json::parse(ok_payload);
      payload[f] = json::parse(v);
      if (std::string(f) == "exp" && payload[f].is_number()) continue;  // a valid NumericDate
      add(ok_header, payload.dump());
    }
    if (!json::parse(v).is_object()) {  // the whole header / payload of another type
      add(v, ok_payload);
      add(ok_header, v);
    }
  }
  add(R"({"alg":1})", ok_payload);
  add(ok_header, R"({"sub":"alice","exp":"9999999999"})");
  add(ok_header, R"({"sub":"alice","exp":1e300})");
  add(ok_header, "\"just a string\"");
  for (const auto& token : tokens) {
    for (const char* target : {"/api/v1/jobs", "/api/v1/services/health"}) {
      HttpResponse r = client_->Get(target, token);
      ASSERT_NE(r.status, 0) << "server gone after token " << token << "\n"
                             << server_->StderrTail();
      if (std::string(target) == "/api/v1/jobs" || r.status == 401) {
        EXPECT_EQ(r.status, 401) << target << " " << token << ": " << r.Describe();
        EXPECT_EQ(r.ErrorCode(), "TOKEN_MALFORMED") << target << " " << token;
      }
    }
  }
  ExpectAlive();
}

// Every field of every JSON body, given each JSON type it does not take, is a 400 with the
// route's code and a message naming the field; nothing is stored or switched. Integers
// beyond int64 are wrong too (2^64-1 used to be read as -1: a valid processing_priority).
TEST_F(HostileTest, WrongJsonTypeInEachFieldIs400NamingTheField) {
  const std::string admin =
      SignJwt({.sub = "root", .role = "admin", .exp = 9'999'999'999}, kTestJwtSecret);
  struct Route {
    std::string method, target, bearer;
    json valid;  // a body the route accepts
    std::string code;
    std::set<std::string> required;  // null is "missing" (MISSING_FIELD) for these
  };
  const json upload = {{"filename", "a.pdf"},
                       {"bytes_len", 1000},
                       {"mime", "application/pdf"},
                       {"sha256", std::string(64, 'a')},
                       {"ocr", true},
                       {"processing_priority", 5}};
  const json webhook = {{"event_id", "ev-1"}, {"event_type", "parse.success"}};
  const std::vector<Route> routes = {
      {"POST",
       "/api/v1/upload",
       token_,
       upload,
       "INVALID_FIELD",
       {"filename", "bytes_len", "mime", "sha256"}},
      {"PUT", "/api/v1/services/embed/mode", admin, {{"mode", "mock"}}, "INVALID_FIELD", {"mode"}},
      {"POST", "/api/v1/webhooks/llamaparse/no-such-job", "", webhook, "INVALID_WEBHOOK", {}},
  };
  const std::vector<json> values = {1,
                                    -1,
                                    1.5,
                                    1e300,
                                    json(18446744073709551615ull),
                                    "text",
                                    true,
                                    nullptr,
                                    json::array(),
                                    json::array({1, "a"}),
                                    json::object(),
                                    {{"a", 1}}};
  int checked = 0;
  for (const Route& r : routes) {
    for (const auto& [field, good] : r.valid.items()) {
      for (const json& v : values) {
        // Same type as the valid value: not a wrong type (ranges have their own tests).
        const bool fits_int64 =
            v.is_number_integer() && (!v.is_number_unsigned() || v.get<uint64_t>() <= INT64_MAX);
        const bool same = v.type() == good.type() || (good.is_number_integer() && fits_int64);
        if (same) continue;
        const bool missing = v.is_null() && r.required.count(field) > 0;
        if (v.is_null() && !missing) continue;  // an optional field's default
        json body = r.valid;
        body[field] = v;
        HttpResponse res = client_->Send({.method = r.method,
                                          .target = r.target,
                                          .headers = {{"Content-Type", "application/json"}},
                                          .bearer = r.bearer,
                                          .body = body.dump()});
        const std::string what = r.method + " " + r.target + " " + body.dump();
        EXPECT_EQ(res.status, 400) << what << ": " << res.Describe();
        EXPECT_EQ(res.ErrorCode(), missing ? "MISSING_FIELD" : r.code) << what;
        const json err = res.Json();
        const std::string message =
            err.is_object() && err.contains("error") ? err["error"].value("message", "") : "";
        EXPECT_NE(message.find("'" + field + "'"), std::string::npos) << what << ": " << message;
        ++checked;
      }
    }
  }
  EXPECT_GT(checked, 60);
  // Nothing was stored or switched.
  EXPECT_TRUE(client_->Get("/api/v1/jobs", token_).Json()["jobs"].empty());
  HttpResponse history = client_->Get("/api/v1/services/modes/history", admin);
  EXPECT_TRUE(history.Json()["changes"].empty()) << history.Describe();
  ExpectAlive();
}

// A handler that throws, at each point the server calls into request handling (a test
// build's INGESTD_TEST_ROUTES, src/cli/test_routes.h): the answer is 500 INTERNAL in the
// JSON error form with no detail, the log says what threw, and the server serves the next
// request.
class HandlerThrowsTest : public HostileTest {
 protected:
  std::map<std::string, std::string> ServerEnv() const override {
    return {{"INGESTD_TEST_ROUTES", "1"}};
  }
};

TEST_F(HandlerThrowsTest, AThrowingHandlerIs500InternalAndTheServerLivesOn) {
  const std::vector<HttpRequest> requests = {
      {.method = "GET", .target = "/__test/throw"},
      {.method = "GET", .target = "/__test/throw-on-begin"},
      {.method = "POST", .target = "/__test/throw-on-body", .body = "some body"},
  };
  for (int round = 0; round < 2; ++round) {
    for (const HttpRequest& req : requests) {
      HttpResponse r = client_->Send(req);
      EXPECT_EQ(r.status, 500) << req.target << ": " << r.Describe();
      EXPECT_EQ(r.ErrorCode(), "INTERNAL") << req.target;
      const json body = r.Json();
      ASSERT_TRUE(body.is_object() && body.contains("error")) << r.Describe();
      const json err = body["error"];
      EXPECT_EQ(err.value("message", ""), "internal error") << "no detail leaks: " << r.body;
      EXPECT_FALSE(err.value("correlation_id", "").empty()) << r.body;
      EXPECT_EQ(err.value("correlation_id", ""), r.Header("x-correlation-id"));
      ExpectAlive();
    }
  }
  int logged = 0;
  for (const json& line : ReadJsonLines(server_->stderr_path())) {
    if (line.value("msg", "") != "last-resort catch") continue;
    EXPECT_EQ(line.value("where", ""), "request handling") << line.dump();
    EXPECT_EQ(line.value("error", ""), "test route threw") << line.dump();
    EXPECT_FALSE(line.value("correlation_id", "").empty()) << line.dump();
    ++logged;
  }
  EXPECT_EQ(logged, 6);
}

// The signed upload token in PUT /api/v1/blobs/{token} is a credential: the access log (and
// every other log line) shows the route with the token redacted (issue 12 §7).
TEST_F(HostileTest, AccessLogRedactsTheSignedUploadToken) {
  const std::string pdf = ReadFile(kRFaqPdf);
  HttpResponse up = RequestUpload(*client_, token_, "R-FAQ.pdf", pdf);
  ASSERT_EQ(up.status, 200) << up.Describe();
  const std::string url = up.Json()["signed_url"];
  const std::string token = url.substr(url.rfind('/') + 1);
  ASSERT_GT(token.size(), 16u) << url;
  // A wrong body first (refused, token kept), a forged token, then the real bytes.
  EXPECT_EQ(PutBlob(*client_, url, "not the pdf").status / 100, 4);
  EXPECT_EQ(PutBlob(*client_, url + "x", pdf).status / 100, 4);
  HttpResponse put = PutBlob(*client_, url, pdf);
  ASSERT_EQ(put.status / 100, 2) << put.Describe();
  ASSERT_TRUE(WaitForJob(*client_, token_, up.Json()["job_id"], IsSettled).met);

  const std::string log = ReadFile(server_->stderr_path());
  EXPECT_EQ(log.find(token), std::string::npos) << "the upload token reached the log";
  EXPECT_EQ(log.find(token.substr(0, 16)), std::string::npos) << "part of the token was logged";
  int blob_lines = 0;
  for (const json& line : ReadJsonLines(server_->stderr_path())) {
    if (line.value("msg", "") == "http request" && line.value("method", "") == "PUT") {
      EXPECT_EQ(line.value("path", ""), "/api/v1/blobs/[redacted]") << line.dump();
      ++blob_lines;
    }
  }
  EXPECT_EQ(blob_lines, 3);
}

}  // namespace
}  // namespace ingestd::itest
