#include "dispatch/base64.h"

#include <gtest/gtest.h>

#include <string>

namespace herald::dispatch {
namespace {

// RFC 4648 section 10 test vectors.
struct Vector {
  std::string plain;
  std::string encoded;
};
const Vector kRfc4648[] = {{"", ""},
                           {"f", "Zg=="},
                           {"fo", "Zm8="},
                           {"foo", "Zm9v"},
                           {"foob", "Zm9vYg=="},
                           {"fooba", "Zm9vYmE="},
                           {"foobar", "Zm9vYmFy"}};

TEST(Base64, EncodesRfc4648Vectors) {
  for (const auto& v : kRfc4648) EXPECT_EQ(Base64Encode(v.plain), v.encoded) << v.plain;
}

TEST(Base64, DecodesRfc4648VectorsPaddedAndUnpadded) {
  for (const auto& v : kRfc4648) {
    auto padded = Base64Decode(v.encoded);
    ASSERT_TRUE(padded.ok()) << v.encoded << ": " << padded.error();
    EXPECT_EQ(*padded, v.plain);
    std::string unpadded = v.encoded.substr(0, v.encoded.find('='));
    auto bare = Base64Decode(unpadded);
    ASSERT_TRUE(bare.ok()) << unpadded << ": " << bare.error();
    EXPECT_EQ(*bare, v.plain) << unpadded;
  }
}

TEST(Base64, RoundTripsBinary) {
  std::string all;
  for (int i = 0; i < 256; ++i) all += static_cast<char>(i);
  auto back = Base64Decode(Base64Encode(all));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, all);
}

TEST(Base64, RejectsMalformedInput) {
  for (const char* text : {"Zm9v!", "Zg=a", "Z", "Zm9vY", "Zg===", "Zm 9v", "=Zg=", "Zm8==", "Zm9v\n", "Zm-_"}) {
    EXPECT_FALSE(Base64Decode(text).ok()) << text;
  }
}

TEST(Base64, EncodeLinesBreaksAtTheLimitWithCrlf) {
  struct Case {
    std::size_t bytes;
    std::size_t line_length;
    std::size_t want_lines;
  } cases[] = {{0, 76, 0}, {1, 76, 1}, {57, 76, 1}, {58, 76, 2}, {171, 76, 3}, {10, 8, 2}, {10, 77, 1}};
  for (const auto& c : cases) {
    std::string data(c.bytes, '\xAB');
    const std::string out = Base64EncodeLines(data, c.line_length);
    std::size_t lines = 0;
    std::string joined;
    for (std::size_t pos = 0; pos < out.size();) {
      const std::size_t end = out.find("\r\n", pos);
      ASSERT_NE(end, std::string::npos) << "line not ended by CRLF";
      EXPECT_LE(end - pos, c.line_length) << c.bytes << " bytes";
      joined += out.substr(pos, end - pos);
      pos = end + 2;
      ++lines;
    }
    EXPECT_EQ(lines, c.want_lines) << c.bytes << " bytes at " << c.line_length;
    EXPECT_EQ(joined, Base64Encode(data));
  }
}

}  // namespace
}  // namespace herald::dispatch
