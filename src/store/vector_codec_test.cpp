#include "store/vector_codec.h"

#include <gtest/gtest.h>

namespace ingestd {
namespace {

TEST(VectorCodec, EncodesLittleEndianFloat32) {
  // 1.0f = 0x3f800000, -2.0f = 0xc0000000.
  EXPECT_EQ(EncodeFloat32Le({1.0f, -2.0f}), std::string("\x00\x00\x80\x3f\x00\x00\x00\xc0", 8));
  EXPECT_EQ(EncodeFloat32Le({}), "");
}

TEST(VectorCodec, RoundTripsAndRejectsBadLengths) {
  std::vector<float> v = {0.25f, -1e-30f, 3.5e30f};
  auto back = DecodeFloat32Le(EncodeFloat32Le(v));
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(*back, v);
  EXPECT_FALSE(DecodeFloat32Le("abc").has_value());
  EXPECT_TRUE(DecodeFloat32Le("")->empty());
}

}  // namespace
}  // namespace ingestd
