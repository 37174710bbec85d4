#include "pdf/pdf_commands.h"

#include <unistd.h>

#include <gtest/gtest.h>
#include <filesystem>
#include <sstream>

#include "pdf/test_pdfs.h"

namespace ingestd::pdf {
namespace {

class ParseCommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ =
        (std::filesystem::temp_directory_path() / ("pdf_cmd_" + std::to_string(getpid()) + ".pdf"))
            .string();
    ASSERT_TRUE(testing::WriteFile(path_, testing::TextPdf({{"Hello"}, {"World"}, {"Again"}})));
  }
  void TearDown() override { std::filesystem::remove(path_); }

  int Run(std::vector<std::string> args) { return RunParseCommand(args, out_, err_); }

  std::string path_;
  std::ostringstream out_, err_;
};

TEST_F(ParseCommandTest, PrintsMarkdown) {
  EXPECT_EQ(Run({path_}), 0) << err_.str();
  EXPECT_EQ(out_.str().find("<!-- page: 1 -->\n\nHello\n"), 0u);
  EXPECT_NE(out_.str().find("<!-- page: 3 -->\n\nAgain\n"), std::string::npos);
}

TEST_F(ParseCommandTest, PagesPrintsOnlyThePageCount) {
  EXPECT_EQ(Run({path_, "--pages"}), 0) << err_.str();
  EXPECT_EQ(out_.str(), "3\n");
}

TEST_F(ParseCommandTest, ErrorsAndUsage) {
  EXPECT_EQ(Run({}), 2);
  EXPECT_EQ(Run({path_, "--bogus"}), 2);
  EXPECT_EQ(Run({"/nonexistent.pdf"}), 1);
  EXPECT_NE(err_.str().find("PDF_UNREADABLE"), std::string::npos);
}

}  // namespace
}  // namespace ingestd::pdf
