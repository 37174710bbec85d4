// Hostile input over the socket (issue 12 §1): no request, however malformed, crashes
// `ingestd serve` or gets a 5xx other than 503; wrong JSON types are 400/401 with a code.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/crypto.h"
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
