#include "api/multipart.h"

#include <gtest/gtest.h>

namespace ingestd::api {
namespace {

using namespace std::string_literals;

struct Collected {
  std::vector<PartHeaders> heads;
  std::vector<std::string> bodies;
};

MultipartParser MakeParser(Collected* c, std::string_view boundary) {
  return MultipartParser(boundary, {[c](const PartHeaders& h) {
                                      c->heads.push_back(h);
                                      c->bodies.emplace_back();
                                      return Status();
                                    },
                                    [c](std::string_view d) {
                                      c->bodies.back().append(d);
                                      return Status();
                                    },
                                    [] { return Status(); }});
}

const std::string kBody =
    "preamble\r\n"
    "--XyZ\r\n"
    "Content-Disposition: form-data; name=\"note\"\r\n\r\n"
    "hello\r\n"
    "--XyZ\r\n"
    "Content-Disposition: form-data; name=\"file\"; filename=\"a \\\"q\\\".pdf\"\r\n"
    "Content-Type: application/pdf\r\n\r\n"
    "%PDF-1.4\r\n--XyNotTheBoundary\r\nbinary\x00\xff"
    "\r\n--XyZ--\r\nepilogue"s;

TEST(Multipart, ParsesFieldsAndFileWhateverTheChunking) {
  for (size_t step : {size_t(1), size_t(2), size_t(3), size_t(7), size_t(64), kBody.size()}) {
    Collected c;
    auto p = MakeParser(&c, "XyZ");
    for (size_t i = 0; i < kBody.size(); i += step) {
      ASSERT_TRUE(p.Feed(std::string_view(kBody).substr(i, step)).ok()) << step;
    }
    ASSERT_TRUE(p.Finish().ok()) << step;
    ASSERT_EQ(c.heads.size(), 2u);
    EXPECT_EQ(c.heads[0].name, "note");
    EXPECT_FALSE(c.heads[0].filename.has_value());
    EXPECT_EQ(c.bodies[0], "hello");
    EXPECT_EQ(c.heads[1].name, "file");
    EXPECT_EQ(c.heads[1].filename.value(), "a \"q\".pdf");
    EXPECT_EQ(c.heads[1].content_type, "application/pdf");
    EXPECT_EQ(c.bodies[1], std::string("%PDF-1.4\r\n--XyNotTheBoundary\r\nbinary\x00\xff", 38));
  }
}

TEST(Multipart, TruncatedBodyFailsFinish) {
  Collected c;
  auto p = MakeParser(&c, "XyZ");
  ASSERT_TRUE(p.Feed(kBody.substr(0, kBody.size() / 2)).ok());
  EXPECT_EQ(p.Finish().code(), "INVALID_MULTIPART");
}

TEST(Multipart, PartWithoutDispositionIsRejected) {
  Collected c;
  auto p = MakeParser(&c, "b");
  EXPECT_EQ(p.Feed("--b\r\nContent-Type: text/plain\r\n\r\nx\r\n--b--").code(),
            "INVALID_MULTIPART");
}

TEST(Multipart, CallbackErrorStopsParsing) {
  MultipartParser p("b", {[](const PartHeaders&) { return Status(); },
                          [](std::string_view) {
                            return Status::Error(Kind::kPayloadTooLarge, "FILE_TOO_LARGE", "x");
                          },
                          [] { return Status(); }});
  EXPECT_EQ(p.Feed("--b\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\n"
                   "data that is long enough to be flushed\r\n--b--")
                .code(),
            "FILE_TOO_LARGE");
}

TEST(Multipart, BoundaryFromContentType) {
  EXPECT_EQ(MultipartParser::BoundaryOf("multipart/form-data; boundary=abc").value(), "abc");
  EXPECT_EQ(MultipartParser::BoundaryOf("Multipart/Form-Data; boundary=\"a b\"").value(), "a b");
  EXPECT_FALSE(MultipartParser::BoundaryOf("application/json").has_value());
  EXPECT_FALSE(MultipartParser::BoundaryOf("multipart/form-data").has_value());
}

}  // namespace
}  // namespace ingestd::api
