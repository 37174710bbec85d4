// ParseEmbeddingsBody on answers outside OpenAI's contract: every wrong type, index or value
// is the typed UPSTREAM_BAD_RESPONSE, never an exception or a vector put in the wrong place.
#include "services/openai_wire.h"

#include <gtest/gtest.h>

namespace ingestd::openai {
namespace {

// Two inputs of two dimensions; `data` and `usage` as given.
Result<EmbeddingsBody> Parse(const std::string& data, const std::string& usage) {
  return ParseEmbeddingsBody(
      R"({"object":"list","model":"m","data":)" + data + R"(,"usage":)" + usage + "}", 2, 2);
}

constexpr char kData[] = R"([{"object":"embedding","index":1,"embedding":[0.5,0.25]},)"
                         R"({"object":"embedding","index":0,"embedding":[1,-1]}])";
constexpr char kUsage[] = R"({"prompt_tokens":8,"total_tokens":8})";

TEST(ParseEmbeddingsBody, AWellFormedAnswerMapsEachVectorByItsIndex) {
  auto out = Parse(kData, kUsage);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(out->vectors, (std::vector<std::vector<float>>{{1, -1}, {0.5, 0.25}}));
  EXPECT_EQ(out->total_tokens, 8);
  // prompt_tokens is not read: another type there changes nothing.
  EXPECT_TRUE(Parse(kData, R"({"prompt_tokens":"8","total_tokens":8})").ok());
}

TEST(ParseEmbeddingsBody, WrongTypesIndicesAndValuesAreBadResponses) {
  const std::string item0 = R"({"object":"embedding","index":0,"embedding":[1,-1]})";
  auto with_item1 = [&](const std::string& item) { return "[" + item0 + "," + item + "]"; };
  const std::pair<std::string, std::string> cases[] = {
      {kData, R"({"prompt_tokens":8,"total_tokens":"8"})"},
      {kData, R"({"prompt_tokens":8,"total_tokens":8.5})"},
      {kData, R"({"prompt_tokens":8})"},
      {kData, R"("8")"},
      {R"({"0":[1,-1]})", kUsage},
      {R"("data")", kUsage},
      {with_item1(R"({"index":1,"embedding":[0.5,"0.25"]})"), kUsage},
      {with_item1(R"({"index":1,"embedding":[0.5,null]})"), kUsage},
      {with_item1(R"({"index":1,"embedding":[0.5,1e300]})"), kUsage},
      {with_item1(R"({"index":1,"embedding":[0.5,[0.25]]})"), kUsage},
      {with_item1(R"({"index":1,"embedding":{"0":0.5}})"), kUsage},
      {with_item1(R"({"index":1,"embedding":"not base64!"})"), kUsage},
      {with_item1(R"({"index":-1,"embedding":[0.5,0.25]})"), kUsage},
      {with_item1(R"({"index":18446744073709551615,"embedding":[0.5,0.25]})"), kUsage},
      {with_item1(R"({"index":1e300,"embedding":[0.5,0.25]})"), kUsage},
      {with_item1(R"({"index":1.0,"embedding":[0.5,0.25]})"), kUsage},
      {with_item1(R"({"index":"1","embedding":[0.5,0.25]})"), kUsage},
      {with_item1(R"({"index":0,"embedding":[0.5,0.25]})"), kUsage},  // repeated
      {with_item1(R"({"index":1})"), kUsage},
      {with_item1(R"([1,[0.5,0.25]])"), kUsage},
  };
  for (const auto& [data, usage] : cases) {
    auto out = Parse(data, usage);
    EXPECT_EQ(out.status().code(), "UPSTREAM_BAD_RESPONSE") << data << " " << usage;
    EXPECT_TRUE(out.status().retryable()) << data << " " << usage;
  }
}

}  // namespace
}  // namespace ingestd::openai
