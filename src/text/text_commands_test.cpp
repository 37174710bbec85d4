#include "text/text_commands.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace ingestd {
namespace {

struct Outcome {
  int rc;
  std::string out;
  std::string err;
};

Outcome Call(int (*command)(const std::vector<std::string>&, std::istream&, std::ostream&,
                            std::ostream&),
             std::vector<std::string> args, const std::string& stdin_text = "") {
  std::istringstream in(stdin_text);
  std::ostringstream out, err;
  int rc = command(args, in, out, err);
  return {rc, out.str(), err.str()};
}

TEST(TokenizeCommandTest, PrintsIdsOrCountFromStdin) {
  Outcome r = Call(RunTokenizeCommand, {"-"}, "hello world");
  EXPECT_EQ(r.rc, 0);
  EXPECT_EQ(r.out, "15339 1917\n");
  r = Call(RunTokenizeCommand, {"-", "--count"}, "hello world");
  EXPECT_EQ(r.out, "2\n");
  r = Call(RunTokenizeCommand, {"-"}, "");
  EXPECT_EQ(r.out, "\n");
}

TEST(TokenizeCommandTest, ReadsFilesAndReportsErrors) {
  const std::string path = ::testing::TempDir() + "/tokenize_cmd.txt";
  std::ofstream(path) << "<|endoftext|>";
  Outcome r = Call(RunTokenizeCommand, {path, "--count"});
  EXPECT_EQ(r.rc, 0);
  EXPECT_EQ(r.out, "7\n");  // special tokens are text
  std::remove(path.c_str());
  EXPECT_EQ(Call(RunTokenizeCommand, {path}).rc, 1);
  EXPECT_EQ(Call(RunTokenizeCommand, {}).rc, 2);
  EXPECT_EQ(Call(RunTokenizeCommand, {"-", "--bogus"}).rc, 2);
}

TEST(ChunkCommandTest, PrintsOneJsonObjectPerChunk) {
  Outcome r = Call(RunChunkCommand, {"-", "--document-id", "6ba7b810-9dad-11d1-80b4-00c04fd430c8"},
                   "# Intro\n\nHello.\n\n# Next\n\nWorld.\n");
  ASSERT_EQ(r.rc, 0) << r.err;
  std::istringstream lines(r.out);
  std::vector<nlohmann::json> chunks;
  for (std::string line; std::getline(lines, line);) chunks.push_back(nlohmann::json::parse(line));
  ASSERT_EQ(chunks.size(), 2u);
  EXPECT_EQ(chunks[1]["ord"], 1);
  EXPECT_EQ(chunks[1]["heading_path"], "Next");
  EXPECT_EQ(chunks[1]["text"], "# Next\n\nWorld.\n");
  EXPECT_EQ(chunks[1]["token_count"], 5);  // "#" " Next" "\n\n" "World" ".\n"
  EXPECT_TRUE(chunks[0]["id"].is_string());
}

TEST(ChunkCommandTest, ValidatesOptions) {
  EXPECT_EQ(Call(RunChunkCommand, {"-", "--max-tokens", "x"}).rc, 2);
  EXPECT_EQ(Call(RunChunkCommand, {"-", "--max-tokens", "4"}).rc, 2);
  EXPECT_EQ(Call(RunChunkCommand, {"-", "--document-id", "nope"}).rc, 2);
  Outcome r = Call(RunChunkCommand, {"-", "--max-tokens", "16", "--overlap", "4"}, "word ");
  EXPECT_EQ(r.rc, 0);
  EXPECT_THAT(r.out, ::testing::HasSubstr("\"token_count\":2"));
}

}  // namespace
}  // namespace ingestd
