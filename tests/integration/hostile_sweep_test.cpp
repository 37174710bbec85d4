// The over-the-socket hostile sweep (issue 12 §1): a few thousand seeded malformed requests
// against every route of api::ApiRoutes() on a real `ingestd serve`, over raw TCP — wrong
// JSON types in every field, odd query values, hostile path ids, multipart framing games,
// conflicting Content-Length / Transfer-Encoding, bad chunking, truncated, pipelined, slow
// and dropped requests; anonymous, as a user and as an admin.
//
// Whatever arrives must parse as HTTP/1.1; no answer is 5xx but 503; every error body is
// {"error":{"code","message","correlation_id"}}; no handler throws (no last-resort log
// line); and the server answers /health at the end. The seed is fixed (printed on failure);
// INGESTD_SWEEP_SEED=<n> explores another one.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <optional>
#include <random>
#include <sstream>
#include <thread>

#include "api/router.h"
#include "core/crypto.h"
#include "core/jwt.h"
#include "harness/raw_http.h"
#include "harness/test_support.h"

namespace ingestd::itest {
namespace {

using SteadyClock = std::chrono::steady_clock;

constexpr uint64_t kDefaultSeed = 20261203;
constexpr int kReadTimeoutMs = 1000;  // the server drops a stalled request after this
constexpr int kClientThreads = 4;
constexpr int kMutationCases = 3000;
constexpr int kPipelineCases = 60;

struct Case {
  std::string name;
  std::vector<std::string> pieces;  // sent in order, pause_ms apart
  int pause_ms = 0;
  bool half_close = true;  // shut our side down after sending, so the server reads EOF
  // Requests that are well-formed HTTP and fully read by the server: each gets an answer.
  size_t must_answer = 0;
};

// A JSON body field of a route, and a valid value for it.
struct Field {
  std::string name;
  json valid;
};

// What the sweep knows of a route beyond its pattern: its JSON body fields and query
// parameters (from the handlers in src/api).
struct RouteShape {
  std::vector<Field> fields;
  std::vector<std::string> query;
};

std::map<std::string, RouteShape> Shapes() {
  const json sha = std::string(64, 'a');
  return {
      {"/api/v1/upload",
       {{{"filename", "a.pdf"},
         {"bytes_len", 1000},
         {"mime", "application/pdf"},
         {"sha256", sha},
         {"ocr", false},
         {"processing_priority", 0}},
        {}}},
      {"/api/v1/services/{service}/mode", {{{"mode", "mock"}}, {}}},
      {"/api/v1/auth/signin", {{{"code", "not-a-code"}}, {}}},
      {"/api/v1/search",
       {{{"query", "r manual"},
         {"top_k", 5},
         {"mode", "hybrid"},
         {"filter",
          {{"document_ids", {"d"}},
           {"filename_prefix", "R-"},
           {"uploaded_after", 0},
           {"uploaded_before", "2030-01-01T00:00:00Z"}}}},
        {}}},
      {"/api/v1/webhooks/llamaparse/{job_id}",
       {{{"event_id", "ev-1"},
         {"event_type", "parse.success"},
         {"timestamp", 1.5},
         {"data", {{"id", "x"}, {"job_id", "y"}}}},
        {}}},
      {"/api/v1/jobs", {{}, {"limit", "offset", "state", "status"}}},
      {"/api/v1/documents/{id}/chunks", {{}, {"limit", "offset", "include"}}},
      {"/api/v1/export", {{}, {"cursor", "include", "model"}}},
      {"/api/v1/documents",
       {{}, {"processing_priority", "limit", "offset", "status", "state", "filename_prefix"}}},
      {"/api/v1/services/modes/history", {{}, {"limit", "offset"}}},
      {"/api/v1/costs", {{}, {"from", "to", "group_by"}}},
      {"/api/v1/alerts", {{}, {"since", "kind", "limit", "offset"}}},
      {"/api/v1/audit",
       {{}, {"from", "to", "service", "job_id", "user_id", "key_id", "status", "limit", "offset"}}},
  };
}

// A literal with its NUL bytes (a plain const char* would end at the first one).
template <size_t N>
std::string Bytes(const char (&s)[N]) {
  return std::string(s, N - 1);
}

// The string at j[key], when j is an object holding one there.
std::optional<std::string> StringAt(const json& j, const char* key) {
  if (!j.is_object()) return std::nullopt;
  auto it = j.find(key);
  if (it == j.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

std::string Repeat(const std::string& s, size_t n) {
  std::string out;
  out.reserve(s.size() * n);
  for (size_t i = 0; i < n; ++i) out += s;
  return out;
}

// JSON texts of every type and the edges of each: wrong types for any field.
std::vector<std::string> HostileJsonValues() {
  return {"0",
          "-1",
          "1",
          "1.5",
          "-0",
          "1e308",
          "-1e308",
          "1e999",
          "18446744073709551615",
          "18446744073709551616",
          "9223372036854775807",
          "9223372036854775808",
          "-9223372036854775808",
          "-9223372036854775809",
          "2147483648",
          "-2147483649",
          R"("")",
          R"("x")",
          R"("1000")",
          "\"" + std::string(20000, 'x') + "\"",
          R"("\u0000")",
          R"("\ud800")",
          R"("../../etc/passwd")",
          "true",
          "false",
          "null",
          "[]",
          R"([1,"a",null])",
          "{}",
          R"({"a":1})",
          Repeat("[", 3000) + Repeat("]", 3000),
          Repeat(R"({"a":)", 2000) + "1" + Repeat("}", 2000)};
}

// Whole bodies that are not the JSON object a route wants.
std::vector<std::string> HostileBodies() {
  return {"",
          "null",
          "[]",
          "1",
          R"("a string")",
          "true",
          "{",
          R"({"filename":)",
          "{\"a\":\"\xff\xfe\"}",
          "\xef\xbb\xbf{}",
          R"({"mode":"mock","mode":1})",
          Repeat("[", 30000) + Repeat("]", 30000),
          std::string(70 * 1024, ' '),  // over the 64 KiB JSON body limit
          Bytes("\x00\x01\x02")};
}

// Query parameter values: negative, huge, non-numeric, percent-encoding garbage.
std::vector<std::string> HostileQueryValues() {
  return {"-1",
          "0",
          "1",
          "500",
          "501",
          "2147483647",
          "2147483648",
          "-2147483649",
          "9223372036854775807",
          "9223372036854775808",
          "-9223372036854775808",
          "99999999999999999999999",
          "1e3",
          "0x10",
          "abc",
          "",
          "%",
          "%zz",
          "%00",
          "%ff%fe",
          "%25",
          "+",
          "1%20",
          "%2d1",
          std::string(8000, '9'),
          "2026-13-45",
          "2026-02-30T25:61:61Z",
          "9999-12-31",
          "0000-01-01",
          "-292275055-05-16",
          "service",
          "day",
          "done",
          "complete"};
}

// Values for a {param} path segment.
std::vector<std::string> HostilePathValues() {
  return {std::string(300, 'a'),
          std::string(5000, 'f'),
          "zzzz-not-hex",
          "..",
          "%2e%2e",
          "..%2f..%2fetc%2fpasswd",
          "%00",
          "a%00b",
          "%",
          "%zz",
          "%ff",
          "00000000-0000-0000-0000-000000000000",
          "FFFFFFFF-FFFF-4FFF-BFFF-FFFFFFFFFFFF",
          "-1",
          "9223372036854775808",
          "parse",
          "embed",
          "%7B%7D",
          "'%20OR%201=1--"};
}

class HostileSweepTest : public ServerTest {
 protected:
  std::map<std::string, std::string> ServerEnv() const override {
    return {{"INGESTD_READ_TIMEOUT_MS", std::to_string(kReadTimeoutMs)}};
  }

  void SetUp() override {
    ServerTest::SetUp();
    const char* env_seed = std::getenv("INGESTD_SWEEP_SEED");
    seed_ = env_seed ? std::strtoull(env_seed, nullptr, 10) : kDefaultSeed;
    rng_.seed(seed_);
    admin_ = SignJwt({.sub = "root", .role = "admin", .exp = 9'999'999'999}, kTestJwtSecret);
    // Real ids and a live upload token, so authenticated paths reach the store.
    const std::string pdf = ReadFile(kRFaqPdf);
    HttpResponse up = RequestUpload(*client_, token_, "R-FAQ.pdf", pdf);
    ASSERT_EQ(up.status, 200) << up.Describe();
    job_id_ = up.Json()["job_id"];
    document_id_ = up.Json()["document_id"];
    const std::string url = up.Json()["signed_url"];
    upload_token_ = url.substr(url.rfind('/') + 1);
  }

  template <typename T>
  const T& Pick(const std::vector<T>& v) {
    return v[std::uniform_int_distribution<size_t>(0, v.size() - 1)(rng_)];
  }
  int Uniform(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }

  // Some requests anonymous, some as a user, some as an admin, some with a bad token.
  std::string RandomAuth() {
    switch (Uniform(0, 5)) {
      case 0:
        return "";
      case 1:
        return "Authorization: Bearer not.a.jwt\r\n";
      case 2:
      case 3:
        return "Authorization: Bearer " + admin_ + "\r\n";
      default:
        return "Authorization: Bearer " + token_ + "\r\n";
    }
  }

  // A complete request with Content-Length (when there is a body or the method has one).
  static std::string Request(const std::string& method, const std::string& target,
                             const std::string& headers, const std::string& body) {
    std::string out = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + headers;
    if (!body.empty() || method == "POST" || method == "PUT") {
      out += "Content-Length: " + std::to_string(body.size()) + "\r\n";
    }
    return out + "\r\n" + body;
  }

  // The pattern with every {param} filled: real ids where the route can use them.
  std::string Fill(const std::string& pattern, const std::string& value = "") {
    std::string out;
    for (size_t i = 0; i < pattern.size();) {
      if (pattern[i] != '{') {
        out.push_back(pattern[i++]);
        continue;
      }
      const size_t end = pattern.find('}', i);
      const std::string name = pattern.substr(i + 1, end - i - 1);
      if (!value.empty()) {
        out += value;
      } else if (name == "token") {
        out += upload_token_;
      } else if (name == "service") {
        out += Pick(std::vector<std::string>{"parse", "embed"});
      } else if (pattern.find("/documents/") != std::string::npos) {
        out += document_id_;
      } else {
        out += job_id_;
      }
      i = end + 1;
    }
    return out;
  }

  std::string ValidBody(const RouteShape& shape) {
    json body = json::object();
    for (const Field& f : shape.fields) body[f.name] = f.valid;
    if (body.contains("sha256")) body["sha256"] = Sha256Hex(std::to_string(rng_()));
    return body.dump();
  }

  std::string Multipart(const std::string& boundary, const std::string& parts) {
    return Request("POST", "/api/v1/documents",
                   "Authorization: Bearer " + token_ +
                       "\r\nContent-Type: multipart/form-data; boundary=" + boundary + "\r\n",
                   parts);
  }

  std::vector<Case> BuildCases() {
    std::vector<Case> cases;
    auto add = [&](std::string name, std::string bytes, size_t must_answer = 0) {
      cases.push_back({std::move(name), {std::move(bytes)}, 0, true, must_answer});
    };
    const auto shapes = Shapes();
    const auto routes = api::ApiRoutes();
    const std::string json_type = "Content-Type: application/json\r\n";

    for (const api::Route& r : routes) {
      auto it = shapes.find(r.pattern);
      const RouteShape shape = it == shapes.end() ? RouteShape{} : it->second;
      const std::string name = r.method + " " + r.pattern;
      // The route's own auth (admins may do everything a user may).
      const std::string auth = "Authorization: Bearer " + (r.admin_only ? admin_ : token_) + "\r\n";
      // Wrong JSON types in every field, and the field missing.
      for (const Field& f : shape.fields) {
        for (const std::string& v : HostileJsonValues()) {
          json body = json::parse(ValidBody(shape));
          std::string text = body.dump();
          const std::string key = "\"" + f.name + "\":";
          const size_t at = text.find(key) + key.size();
          const size_t end = at + body[f.name].dump().size();
          text = text.substr(0, at) + v + text.substr(end);
          add(name + " field " + f.name + "=" + v.substr(0, 40),
              Request(r.method, Fill(r.pattern), auth + json_type, text), 1);
        }
        json body = json::parse(ValidBody(shape));
        body.erase(f.name);
        add(name + " without " + f.name,
            Request(r.method, Fill(r.pattern), auth + json_type, body.dump()), 1);
      }
      // Bodies of the wrong shape, on every route (GETs too: the body must be ignored).
      for (const std::string& b : HostileBodies()) {
        add(name + " body " + b.substr(0, 20),
            Request(r.method, Fill(r.pattern), auth + json_type, b), b.size() <= 64 * 1024 ? 1 : 0);
      }
      // Odd query values on every parameter, and repeated.
      std::vector<std::string> params = shape.query;
      params.push_back("limit");
      for (const std::string& p : params) {
        for (const std::string& v : HostileQueryValues()) {
          const std::string target = Fill(r.pattern) + "?" + p + "=" + v;
          add(name + " ?" + p + "=" + v.substr(0, 40),
              Request(r.method, target, RandomAuth(), r.method == "GET" ? "" : ValidBody(shape)),
              1);
        }
        add(name + " ?" + p + " repeated",
            Request(r.method, Fill(r.pattern) + "?" + p + "=1&" + p + "=-5&" + p + "&" + p + "=x",
                    auth, ""),
            1);
      }
      // Hostile path ids in each {param}.
      if (r.pattern.find('{') != std::string::npos) {
        for (const std::string& v : HostilePathValues()) {
          add(name + " id " + v.substr(0, 40),
              Request(r.method, Fill(r.pattern, v), RandomAuth(), ValidBody(shape)), 1);
        }
      }
      // Every route with each kind of caller.
      for (const std::string& a :
           {std::string(), auth, RandomAuth(), "Authorization: Bearer " + admin_ + "\r\n"}) {
        add(name + " caller", Request(r.method, Fill(r.pattern), a + json_type, ValidBody(shape)),
            1);
      }
    }

    // Bearer tokens whose header or payload fields have the wrong JSON type, signed and
    // not, on every route ({"alg":1} once aborted the server on its I/O thread).
    std::vector<std::string> tokens;
    const json header = {{"alg", "HS256"}, {"typ", "JWT"}};
    const json payload = {{"sub", "alice"}, {"role", "user"}, {"exp", 9'999'999'999}};
    for (const std::string& v : HostileJsonValues()) {
      if (v.size() > 100) continue;
      const json value = json::parse(v, nullptr, false);
      if (value.is_discarded()) continue;
      for (const char* f : {"alg", "typ", "kid", "sub", "role", "exp"}) {
        json h = header, p = payload;
        (h.contains(f) || std::string(f) == "kid" ? h : p)[f] = value;
        const std::string input = Base64UrlEncode(h.dump()) + "." + Base64UrlEncode(p.dump());
        tokens.push_back(input + ".c2ln");
        tokens.push_back(input + "." + Base64UrlEncode(HmacSha256(kTestJwtSecret, input)));
      }
      tokens.push_back(Base64UrlEncode(v) + "." + Base64UrlEncode(payload.dump()) + ".c2ln");
      tokens.push_back(Base64UrlEncode(header.dump()) + "." + Base64UrlEncode(v) + ".c2ln");
    }
    for (const std::string& t : tokens) {
      const api::Route& r = Pick(routes);
      add("token " + t.substr(0, 60) + " on " + r.pattern,
          Request(r.method, Fill(r.pattern), "Authorization: Bearer " + t + "\r\n", ""), 1);
    }

    // Multipart framing games on POST /api/v1/documents.
    const std::string pdf_head = "%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF\n";
    const std::string part =
        "--B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.pdf\"\r\n"
        "Content-Type: application/pdf\r\n\r\n" +
        pdf_head + "\r\n";
    const std::vector<std::pair<std::string, std::string>> multipart = {
        {"no boundary",
         Request("POST", "/api/v1/documents",
                 "Authorization: Bearer " + token_ + "\r\nContent-Type: multipart/form-data\r\n",
                 part + "--B--\r\n")},
        {"empty boundary", Multipart("", part + "--B--\r\n")},
        {"quoted empty boundary", Multipart("\"\"", part + "--B--\r\n")},
        {"duplicate boundary", Multipart("B; boundary=C", part + "--B--\r\n")},
        {"overlong boundary", Multipart(std::string(200, 'B'), part + "--B--\r\n")},
        {"boundary never used", Multipart("X", part + "--B--\r\n")},
        {"no closing delimiter", Multipart("B", part)},
        {"truncated part header",
         Multipart("B", "--B\r\nContent-Disposition: form-data; name=\"fi")},
        {"part header without blank line",
         Multipart("B", "--B\r\nContent-Disposition: form-data; name=\"file\"\r\n" + pdf_head)},
        {"giant part header",
         Multipart("B", "--B\r\nX-Big: " + std::string(200000, 'h') + "\r\n\r\nx\r\n--B--\r\n")},
        {"many part headers",
         Multipart("B", "--B\r\n" + Repeat("X-A: b\r\n", 5000) + "\r\nx\r\n--B--\r\n")},
        {"no content-disposition", Multipart("B", "--B\r\n\r\n" + pdf_head + "\r\n--B--\r\n")},
        {"duplicate file fields", Multipart("B", part + part + "--B--\r\n")},
        {"not a pdf",
         Multipart("B",
                   "--B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.pdf\"\r\n"
                   "\r\nhello\r\n--B--\r\n")},
        {"empty file",
         Multipart("B",
                   "--B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.pdf\"\r\n"
                   "\r\n\r\n--B--\r\n")},
        {"garbage priority field",
         Multipart("B",
                   "--B\r\nContent-Disposition: form-data; name=\"processing_priority\"\r\n\r\n"
                   "99999999999999999999\r\n" +
                       part + "--B--\r\n")},
        {"LF only", Multipart("B", "--B\nContent-Disposition: form-data; name=\"file\"\n\n" +
                                       pdf_head + "\n--B--\n")},
        {"preamble and epilogue",
         Multipart("B", "garbage before\r\n" + part + "--B--\r\ngarbage after")},
        {"filename with NUL and slashes",
         Multipart("B", Bytes("--B\r\nContent-Disposition: form-data; name=\"file\"; "
                              "filename=\"..\\/\x00"
                              "a.pdf\"\r\n\r\n") +
                            pdf_head + "\r\n--B--\r\n")},
        {"filename star",
         Multipart("B",
                   "--B\r\nContent-Disposition: form-data; name=\"file\"; filename*=UTF-8''%ff"
                   "\r\n\r\n" +
                       pdf_head + "\r\n--B--\r\n")},
        {"unterminated quoted name",
         Multipart("B", "--B\r\nContent-Disposition: form-data; name=\"file\r\n\r\nx\r\n--B--")},
        {"nested multipart", Multipart("B",
                                       "--B\r\nContent-Type: multipart/mixed; boundary=C\r\n"
                                       "\r\n--C\r\n\r\nx\r\n--C--\r\n--B--\r\n")},
        {"wrong content type",
         Request("POST", "/api/v1/documents",
                 "Authorization: Bearer " + token_ + "\r\nContent-Type: application/json\r\n",
                 "{}")},
        {"huge announced length",
         "POST /api/v1/documents HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token_ +
             "\r\nContent-Type: multipart/form-data; boundary=B\r\n"
             "Content-Length: 99999999999999999999\r\n\r\n" +
             part},
        {"negative announced length",
         "POST /api/v1/documents HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token_ +
             "\r\nContent-Type: multipart/form-data; boundary=B\r\nContent-Length: -5\r\n\r\n"},
        {"length shorter than body",
         "POST /api/v1/documents HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token_ +
             "\r\nContent-Type: multipart/form-data; boundary=B\r\nContent-Length: 10\r\n\r\n" +
             part + "--B--\r\n"},
    };
    for (const auto& [what, bytes] : multipart) add("multipart: " + what, bytes);

    // HTTP framing: Content-Length and Transfer-Encoding games, bad chunking, bad lines.
    const std::string upload_body = ValidBody(shapes.at("/api/v1/upload"));
    const std::string post_upload =
        "POST /api/v1/upload HTTP/1.1\r\nHost: x\r\nAuthorization: "
        "Bearer " +
        token_ + "\r\nContent-Type: application/json\r\n";
    const std::string put_blob = "PUT /api/v1/blobs/" + upload_token_ + " HTTP/1.1\r\nHost: x\r\n";
    const std::string cl = "Content-Length: " + std::to_string(upload_body.size()) + "\r\n";
    const std::vector<std::pair<std::string, std::string>> framing = {
        {"duplicate equal content-length", post_upload + cl + cl + "\r\n" + upload_body},
        {"duplicate different content-length",
         post_upload + cl + "Content-Length: 3\r\n\r\n" + upload_body},
        {"content-length list", post_upload + "Content-Length: 3, 3\r\n\r\n{}x"},
        {"content-length not a number", post_upload + "Content-Length: abc\r\n\r\n{}"},
        {"content-length negative", post_upload + "Content-Length: -1\r\n\r\n{}"},
        {"content-length huge", post_upload + "Content-Length: 18446744073709551616\r\n\r\n{}"},
        {"content-length plus chunked",
         post_upload + cl + "Transfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n"},
        {"chunked plus content-length",
         post_upload + "Transfer-Encoding: chunked\r\n" + cl + "\r\n2\r\n{}\r\n0\r\n\r\n"},
        {"transfer-encoding gzip", post_upload + "Transfer-Encoding: gzip\r\n\r\n{}"},
        {"transfer-encoding gzip, chunked",
         post_upload + "Transfer-Encoding: gzip, chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n"},
        {"chunked twice",
         post_upload + "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"},
        {"chunk size not hex",
         post_upload + "Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n"},
        {"chunk size negative",
         post_upload + "Transfer-Encoding: chunked\r\n\r\n-2\r\n{}\r\n0\r\n\r\n"},
        {"chunk size huge",
         post_upload + "Transfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\n{}\r\n0\r\n\r\n"},
        {"chunk longer than said",
         post_upload + "Transfer-Encoding: chunked\r\n\r\n1\r\n{}\r\n0\r\n\r\n"},
        {"chunk without CRLF", post_upload + "Transfer-Encoding: chunked\r\n\r\n2\r\n{}0\r\n\r\n"},
        {"chunk extension garbage",
         post_upload + "Transfer-Encoding: chunked\r\n\r\n2;a=\"\x01\r\n{}\r\n0\r\n\r\n"},
        {"chunked with trailer",
         post_upload + "Transfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\nX-T: 1\r\n\r\n"},
        {"chunked never ends", post_upload + "Transfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n"},
        {"chunked json body", post_upload + "Transfer-Encoding: chunked\r\n\r\n" +
                                  [&] {
                                    std::stringstream hex;
                                    hex << std::hex << upload_body.size();
                                    return hex.str();
                                  }() +
                                  "\r\n" + upload_body + "\r\n0\r\n\r\n"},
        {"chunked blob body",
         put_blob + "Transfer-Encoding: chunked\r\n\r\n5\r\n%PDF-\r\n0\r\n\r\n"},
        {"blob with wrong length", put_blob + "Content-Length: 5\r\n\r\n%PDF-"},
        {"blob with duplicate length", put_blob + "Content-Length: 5\r\nContent-Length: 6\r\n\r\n"},
        {"blob expect continue",
         put_blob + "Expect: 100-continue\r\nContent-Length: 5\r\n\r\n%PDF-"},
        {"request line only", "GET /health HTTP/1.1\r\n"},
        {"no version", "GET /health\r\n\r\n"},
        {"HTTP/0.9", "GET /health\r\n"},
        {"HTTP/2.0", "GET /health HTTP/2.0\r\nHost: x\r\n\r\n"},
        {"HTTP/1.0", "GET /health HTTP/1.0\r\n\r\n"},
        {"bad version", "GET /health HTTP/9.x\r\nHost: x\r\n\r\n"},
        {"lower-case method", "get /health HTTP/1.1\r\nHost: x\r\n\r\n"},
        {"unknown method", "BREW /health HTTP/1.1\r\nHost: x\r\n\r\n"},
        {"CONNECT", "CONNECT 127.0.0.1:1 HTTP/1.1\r\nHost: x\r\n\r\n"},
        {"OPTIONS *", "OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n"},
        {"absolute target", "GET http://evil/health HTTP/1.1\r\nHost: x\r\n\r\n"},
        {"empty target", "GET  HTTP/1.1\r\nHost: x\r\n\r\n"},
        {"target with space", "GET /he alth HTTP/1.1\r\nHost: x\r\n\r\n"},
        {"target with NUL", Bytes("GET /api/v1/jobs/\0x HTTP/1.1\r\nHost: x\r\n\r\n")},
        {"target with bytes above 0x7f", "GET /api/v1/jobs/\xff\xfe HTTP/1.1\r\nHost: x\r\n\r\n"},
        {"overlong target", "GET /" + std::string(20000, 'a') + " HTTP/1.1\r\nHost: x\r\n\r\n"},
        {"giant header",
         "GET /health HTTP/1.1\r\nHost: x\r\nX-A: " + std::string(100000, 'a') + "\r\n\r\n"},
        {"many headers", "GET /health HTTP/1.1\r\n" + Repeat("X-A: b\r\n", 4000) + "\r\n"},
        {"header without colon", "GET /health HTTP/1.1\r\nHost x\r\n\r\n"},
        {"header with NUL", Bytes("GET /health HTTP/1.1\r\nX-A: a\0b\r\n\r\n")},
        {"obs-fold", "GET /health HTTP/1.1\r\nX-A: a\r\n b\r\n\r\n"},
        {"space before colon", "GET /health HTTP/1.1\r\nHost : x\r\n\r\n"},
        {"bare LF", "GET /health HTTP/1.1\nHost: x\n\n"},
        {"bare CR", "GET /health HTTP/1.1\rHost: x\r\r"},
        {"authorization garbage",
         Bytes("GET /api/v1/jobs HTTP/1.1\r\nAuthorization: Bearer \xff\x00\x01\r\n\r\n")},
        {"authorization huge", "GET /api/v1/jobs HTTP/1.1\r\nAuthorization: Bearer " +
                                   std::string(15000, 'a') + "." + std::string(100, 'b') +
                                   "\r\n\r\n"},
        {"correlation id garbage",
         "GET /health HTTP/1.1\r\nX-Correlation-ID: \x7f\x01zz\r\ntraceparent: 00-zz\r\n\r\n"},
        {"just garbage", Bytes("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03")},
        {"only CRLFs", "\r\n\r\n\r\n\r\n"},
        {"empty", ""},
    };
    for (const auto& [what, bytes] : framing) add("framing: " + what, bytes);

    // Byte-level mutations of well-formed requests over every route.
    std::vector<std::string> good;
    for (const api::Route& r : routes) {
      good.push_back(
          Request(r.method, Fill(r.pattern),
                  "Authorization: Bearer " + (r.admin_only ? admin_ : token_) + "\r\n" + json_type,
                  r.method == "GET" || r.method == "DELETE"
                      ? ""
                      : ValidBody(shapes.count(r.pattern) ? shapes.at(r.pattern) : RouteShape{})));
    }
    good.push_back(Multipart("B", part + "--B--\r\n"));
    for (int i = 0; i < kMutationCases; ++i) {
      std::string bytes = Pick(good);
      const int edits = Uniform(1, 4);
      for (int e = 0; e < edits && !bytes.empty(); ++e) {
        const size_t at = std::uniform_int_distribution<size_t>(0, bytes.size() - 1)(rng_);
        switch (Uniform(0, 6)) {
          case 0:
            bytes[at] = static_cast<char>(Uniform(0, 255));
            break;
          case 1:
            bytes.insert(at, std::string(size_t(Uniform(1, 8)), char(Uniform(0, 255))));
            break;
          case 2:
            bytes.erase(at, size_t(Uniform(1, 16)));
            break;
          case 3:
            bytes.resize(at);
            break;  // truncated
          case 4:
            bytes.insert(at, Pick(std::vector<std::string>{"\r\n", ":", "%", "\"", "{", "[",
                                                           "\r\n\r\n", ",", "%00"}));
            break;
          case 5:
            bytes.insert(at, Pick(HostileJsonValues()).substr(0, 64));
            break;
          default:
            bytes.insert(at, bytes.substr(at, size_t(Uniform(1, 64))));
            break;
        }
      }
      add("mutation " + std::to_string(i), bytes);
    }

    // Pipelining: several requests in one write. When all are well-formed, each is answered
    // on the one connection. The streaming routes' JSON requests are left out: they are
    // refused before their body is read (a size mismatch, not multipart), which ends the
    // connection; the multipart upload stays.
    std::vector<std::string> pipelinable = good;
    std::erase_if(pipelinable, [](const std::string& g) {
      return g.starts_with("PUT /api/v1/blobs/") ||
             (g.starts_with("POST /api/v1/documents ") && g.find("multipart") == std::string::npos);
    });
    const size_t singles = cases.size();
    for (int i = 0; i < kPipelineCases; ++i) {
      const int n = Uniform(2, 8);
      std::string bytes;
      const bool all_good = i % 2 == 0;
      for (int k = 0; k < n; ++k) {
        bytes += all_good || Uniform(0, 2) > 0
                     ? Pick(pipelinable)
                     : cases[std::uniform_int_distribution<size_t>(0, singles - 1)(rng_)].pieces[0];
      }
      add("pipeline " + std::to_string(i), bytes, all_good ? size_t(n) : 0);
    }

    // Slow and dropped connections: pieces with pauses, and a request left hanging (the
    // server must drop it after its read timeout, kReadTimeoutMs).
    const std::string health = "GET /health HTTP/1.1\r\nHost: x\r\n\r\n";
    for (int i = 0; i < 12; ++i) {
      Case c;
      c.name = "slow " + std::to_string(i);
      const std::string& whole = i % 3 == 0 ? health : Pick(good);
      for (size_t at = 0; at < whole.size();) {
        const size_t n = std::min(whole.size() - at, size_t(Uniform(1, 40)));
        c.pieces.push_back(whole.substr(at, n));
        at += n;
        if (c.pieces.size() >= 6) {
          if (i % 2 == 1) break;  // then closed half-way
          c.pieces.push_back(whole.substr(at));
          break;
        }
      }
      c.pause_ms = Uniform(5, 40);
      c.must_answer = i % 3 == 0 && i % 2 == 0 ? 1 : 0;
      cases.push_back(std::move(c));
    }
    cases.push_back({"hanging header", {"GET /health HTTP/1.1\r\nHost: x\r\n"}, 0, false, 0});
    cases.push_back({"hanging body", {post_upload + "Content-Length: 100\r\n\r\n{"}, 0, false, 0});
    cases.push_back({"dropped at once", {}, 0, true, 0});
    return cases;
  }

  // Runs one case; "" when everything the server sent holds up, else what is wrong.
  std::string Run(const Case& c, int port) {
    RawConnection conn(port);
    if (!conn.connected()) return "could not connect";
    for (size_t i = 0; i < c.pieces.size(); ++i) {
      if (i > 0 && c.pause_ms > 0) {
        std::this_thread::sleep_for(std::chrono::milliseconds(c.pause_ms));
      }
      if (!conn.SendAll(c.pieces[i])) break;  // the server answered early and closed
    }
    if (c.half_close) conn.ShutdownWrite();
    // A hanging request is dropped after the read timeout; anything else ends sooner.
    const auto got = conn.ReadUntilClose(kReadTimeoutMs * 10);
    if (!got.closed) return "the server neither answered nor closed the connection";
    std::string error;
    const auto responses = ParseResponses(got.bytes, &error);
    if (!error.empty() && !got.reset) return "unparseable answer: " + error;
    size_t finals = 0;
    for (const RawResponse& r : responses) {
      if (r.status >= 500 && r.status != 503) return "answered " + std::to_string(r.status);
      if (r.status >= 200) ++finals;
      if (r.status < 400) continue;
      const json body = json::parse(r.body, nullptr, false);
      const json error = body.is_object() && body.contains("error") ? body["error"] : json();
      const auto code = StringAt(error, "code"), cid = StringAt(error, "correlation_id");
      if (!code || code->empty() || !StringAt(error, "message") || !cid || cid->empty()) {
        return std::to_string(r.status) + " without the JSON error form: " + r.body.substr(0, 200);
      }
    }
    if (finals < c.must_answer && !got.reset) {
      std::string statuses;
      for (const RawResponse& r : responses) statuses += " " + std::to_string(r.status);
      return std::to_string(finals) + " answers to " + std::to_string(c.must_answer) +
             " well-formed requests:" + statuses +
             "; first request: " + c.pieces[0].substr(0, c.pieces[0].find('\r'));
    }
    return "";
  }

  uint64_t seed_ = kDefaultSeed;
  std::mt19937_64 rng_;
  std::string admin_, job_id_, document_id_, upload_token_;
};

TEST_F(HostileSweepTest, NoRequestCrashesHangsOr500sTheServer) {
  const std::vector<Case> cases = BuildCases();
  ASSERT_GE(cases.size(), 2000u);
  const auto started = SteadyClock::now();
  std::atomic<size_t> next{0};
  std::mutex mu;
  std::vector<std::string> failures;
  std::vector<std::thread> clients;
  for (int t = 0; t < kClientThreads; ++t) {
    clients.emplace_back([&] {
      for (size_t i; (i = next.fetch_add(1)) < cases.size();) {
        std::string problem = Run(cases[i], server_->port());
        if (problem.empty()) continue;
        std::lock_guard lock(mu);
        failures.push_back("case " + std::to_string(i) + " (" + cases[i].name + "): " + problem);
      }
    });
  }
  for (auto& t : clients) t.join();
  const auto seconds = std::chrono::duration<double>(SteadyClock::now() - started).count();
  std::printf("hostile sweep: %zu cases, seed %llu, %.1f s\n", cases.size(),
              static_cast<unsigned long long>(seed_), seconds);

  std::sort(failures.begin(), failures.end());
  std::string shown;
  for (size_t i = 0; i < std::min<size_t>(failures.size(), 25); ++i) shown += failures[i] + "\n";
  EXPECT_TRUE(failures.empty()) << failures.size() << " of " << cases.size()
                                << " cases failed (seed " << seed_
                                << ", INGESTD_SWEEP_SEED reproduces):\n"
                                << shown;
  HttpResponse h = client_->Get("/health");
  EXPECT_EQ(h.status, 200) << "server gone after the sweep (seed " << seed_ << ")\n"
                           << server_->StderrTail();
  for (const json& line : ReadJsonLines(server_->stderr_path())) {
    EXPECT_NE(line.value("msg", ""), "last-resort catch")
        << "request handling threw (seed " << seed_ << "): " << line.dump();
  }
}

}  // namespace
}  // namespace ingestd::itest
