#include "pdf/protocol.h"

#include <gtest/gtest.h>

namespace ingestd::pdf {
namespace {

TEST(ProtocolTest, RoundTripsFramesWithBinaryPayloads) {
  std::string payload("line\nwith\0nul", 13);
  std::string wire = EncodeFrame(kFramePages, "3") + EncodeFrame(kFrameMarkdown, payload) +
                     EncodeFrame(kFrameEnd, "");
  std::vector<Frame> frames;
  ASSERT_TRUE(DecodeFrames(wire, &frames));
  ASSERT_EQ(frames.size(), 3u);
  EXPECT_EQ(frames[0].kind, "pages");
  EXPECT_EQ(frames[0].payload, "3");
  EXPECT_EQ(frames[1].payload, payload);
  EXPECT_EQ(frames[2].kind, "end");
}

TEST(ProtocolTest, RejectsMalformedInput) {
  std::vector<Frame> frames;
  EXPECT_FALSE(DecodeFrames("pages 10\n3", &frames));  // length past the end
  EXPECT_FALSE(DecodeFrames("garbage without newline", &frames));
  EXPECT_FALSE(DecodeFrames("pages x\n", &frames));
  EXPECT_FALSE(DecodeFrames("end 0\ntrailing", &frames));
  EXPECT_FALSE(DecodeFrames(std::string(100, 'a') + " 1\nx", &frames));
}

}  // namespace
}  // namespace ingestd::pdf
