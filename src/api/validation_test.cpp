#include "api/validation.h"

#include <gtest/gtest.h>

namespace ingestd::api {
namespace {

TEST(SanitizeFilename, StripsControlsAndSeparators) {
  EXPECT_EQ(SanitizeFilename("report.pdf").value(), "report.pdf");
  EXPECT_EQ(SanitizeFilename("a\tb\r\nc\x7f.pdf").value(), "abc.pdf");
  EXPECT_EQ(SanitizeFilename("../../etc/passwd").value(), ".._.._etc_passwd");
  EXPECT_EQ(SanitizeFilename("C:\\x.pdf").value(), "C:_x.pdf");
  EXPECT_EQ(SanitizeFilename("r\xc3\xa9sum\xc3\xa9 \xf0\x9f\x93\x84.pdf").value(),
            "r\xc3\xa9sum\xc3\xa9 \xf0\x9f\x93\x84.pdf");
  EXPECT_EQ(SanitizeFilename("x\xc2\x85y").value(), "xy");  // C1 NEL
}

TEST(SanitizeFilename, RejectsInvalid) {
  for (std::string bad : {std::string(""), std::string("\x01\x02"), std::string(" . "),
                          std::string("\xff.pdf"), std::string("\xc0\xaf.pdf"),
                          std::string("\xed\xa0\x80.pdf"), std::string(256, 'a')}) {
    auto r = SanitizeFilename(bad);
    EXPECT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), "INVALID_FILENAME");
  }
  EXPECT_TRUE(SanitizeFilename(std::string(255, 'a')).ok());
}

TEST(UploadChecks, SizeMimeShaMagic) {
  EXPECT_EQ(CheckUploadSize(0, 10).code(), "EMPTY_FILE");
  EXPECT_EQ(CheckUploadSize(11, 10).kind(), Kind::kPayloadTooLarge);
  EXPECT_TRUE(CheckUploadSize(10, 10).ok());
  EXPECT_TRUE(CheckMime("application/pdf").ok());
  EXPECT_TRUE(CheckMime("Application/PDF; charset=binary").ok());
  EXPECT_EQ(CheckMime("text/plain").kind(), Kind::kUnsupportedMedia);
  std::string sha;
  EXPECT_TRUE(CheckSha256(std::string(64, 'A'), &sha).ok());
  EXPECT_EQ(sha, std::string(64, 'a'));
  EXPECT_EQ(CheckSha256("abc", &sha).kind(), Kind::kUnprocessable);
  EXPECT_EQ(CheckSha256(std::string(64, 'g'), &sha).code(), "INVALID_SHA256");
  EXPECT_TRUE(CheckPdfMagic("%PDF-1.7\n").ok());
  EXPECT_EQ(CheckPdfMagic("PK\x03\x04").code(), "NOT_A_PDF");
}

TEST(UploadChecks, ProcessingPriority) {
  EXPECT_TRUE(CheckPriority(-100).ok());
  EXPECT_TRUE(CheckPriority(100).ok());
  EXPECT_EQ(CheckPriority(101).code(), "INVALID_FIELD");
  EXPECT_EQ(CheckPriority(-101).code(), "INVALID_FIELD");
  EXPECT_EQ(*ParsePriority("-5"), -5);
  EXPECT_EQ(*ParsePriority("42"), 42);
  for (const char* bad : {"", "abc", "5x", " 5", "1.5", "1000", "99999999999999999999"}) {
    EXPECT_EQ(ParsePriority(bad).status().code(), "INVALID_FIELD") << bad;
  }
}

}  // namespace
}  // namespace ingestd::api
