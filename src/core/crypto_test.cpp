#include "core/crypto.h"

#include <gtest/gtest.h>

namespace ingestd {

TEST(Sha256, KnownVectors) {
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Sha256, StreamingEqualsOneShot) {
  std::string data(100000, 'x');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i * 7);
  Sha256 h;
  for (size_t i = 0; i < data.size(); i += 333) h.Update(std::string_view(data).substr(i, 333));
  EXPECT_EQ(h.FinishHex(), Sha256Hex(data));
}

TEST(Hmac, Rfc4231Case2) {
  EXPECT_EQ(HexEncode(HmacSha256("Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(Base64Url, RoundTripsEveryLength) {
  std::string bytes;
  for (int n = 0; n < 40; ++n) {
    auto enc = Base64UrlEncode(bytes);
    EXPECT_EQ(enc.find('='), std::string::npos);
    auto dec = Base64UrlDecode(enc);
    ASSERT_TRUE(dec.has_value()) << n;
    EXPECT_EQ(*dec, bytes);
    bytes.push_back(static_cast<char>(n * 37 + 250));
  }
}

TEST(Base64, StandardAlphabetIsPaddedAndRoundTrips) {
  EXPECT_EQ(Base64Encode(""), "");
  EXPECT_EQ(Base64Encode("f"), "Zg==");
  EXPECT_EQ(Base64Encode("fo"), "Zm8=");
  EXPECT_EQ(Base64Encode("foo"), "Zm9v");
  EXPECT_EQ(Base64Encode("\xfb\xff"), "+/8=");  // the two characters the URL alphabet swaps
  for (size_t n = 0; n < 40; ++n) {
    std::string bytes = RandomBytes(n);
    EXPECT_EQ(Base64Decode(Base64Encode(bytes)), bytes) << n;
  }
  EXPECT_FALSE(Base64Decode("Zg").has_value()) << "unpadded";
  EXPECT_FALSE(Base64Decode("-_8=").has_value()) << "URL alphabet";
}

TEST(Base64Url, RejectsForeignCharacters) {
  EXPECT_FALSE(Base64UrlDecode("ab+/").has_value());
  EXPECT_FALSE(Base64UrlDecode("abcde").has_value());
}

TEST(ConstantTimeEquals, ComparesContentAndLength) {
  EXPECT_TRUE(ConstantTimeEquals("abc", "abc"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abd"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abcd"));
}

TEST(RandomBytes, ReturnsRequestedLengthAndVaries) {
  EXPECT_EQ(RandomBytes(32).size(), 32u);
  EXPECT_NE(RandomBytes(16), RandomBytes(16));
}

}  // namespace ingestd
