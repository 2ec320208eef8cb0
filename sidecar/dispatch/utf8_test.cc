#include "dispatch/utf8.h"

#include <gtest/gtest.h>

#include <string>

namespace herald::dispatch {
namespace {

TEST(Utf8, ClassifiesSequences) {
  struct Case {
    std::string text;
    bool valid;
  } cases[] = {
      {"", true},
      {"plain ascii", true},
      {"caf\xC3\xA9", true},                   // U+00E9
      {"\xE2\x82\xAC", true},                  // U+20AC euro
      {"\xF0\x9F\x93\xA8", true},              // U+1F4E8 emoji
      {"\xF4\x8F\xBF\xBF", true},              // U+10FFFF, the last code point
      {"\xC3", false},                         // truncated
      {"\xC0\xAF", false},                     // overlong '/'
      {"\xE0\x80\xAF", false},                 // overlong, 3 bytes
      {"\xED\xA0\x80", false},                 // surrogate U+D800
      {"\xF4\x90\x80\x80", false},             // above U+10FFFF
      {"\xF8\x88\x80\x80\x80", false},         // 5-byte form
      {"\x80", false},                         // lone continuation
      {"ok\xE2\x82", false},                   // truncated at the end
      {std::string("nul\0inside", 10), true},  // NUL is a code point
  };
  for (const auto& c : cases) EXPECT_EQ(IsValidUtf8(c.text), c.valid) << testing::PrintToString(c.text);
}

TEST(Utf8, SequenceLengthAtEachPosition) {
  const std::string text = "a\xC3\xA9\xE2\x82\xAC\xF0\x9F\x93\xA8";
  EXPECT_EQ(Utf8SequenceLength(text, 0), 1u);
  EXPECT_EQ(Utf8SequenceLength(text, 1), 2u);
  EXPECT_EQ(Utf8SequenceLength(text, 2), 0u);  // a continuation byte starts nothing
  EXPECT_EQ(Utf8SequenceLength(text, 3), 3u);
  EXPECT_EQ(Utf8SequenceLength(text, 6), 4u);
  EXPECT_EQ(Utf8SequenceLength(text, text.size()), 0u);
}

TEST(Utf8, IsAscii) {
  EXPECT_TRUE(IsAscii("Hello, world\r\n"));
  EXPECT_FALSE(IsAscii("caf\xC3\xA9"));
}

}  // namespace
}  // namespace herald::dispatch
