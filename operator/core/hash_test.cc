#include "operator/core/hash.h"

#include <gtest/gtest.h>

namespace herald::op {
namespace {

TEST(Sha256HexTest, KnownVectors) {
  const struct {
    std::string in;
    std::string want;
  } cases[] = {
      {"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
      {"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
  };
  for (const auto& c : cases) EXPECT_EQ(Sha256Hex(c.in), c.want) << c.in;
}

TEST(Base64EncodeTest, Rfc4648Vectors) {
  const struct {
    std::string in;
    std::string want;
  } cases[] = {
      {"", ""},
      {"f", "Zg=="},
      {"fo", "Zm8="},
      {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="},
      {"fooba", "Zm9vYmE="},
      {"foobar", "Zm9vYmFy"},
      {std::string("\xff\x00\xfe", 3), "/wD+"},
  };
  for (const auto& c : cases) EXPECT_EQ(Base64Encode(c.in), c.want) << c.in;
}

}  // namespace
}  // namespace herald::op
