#include "dispatch/quoted_printable.h"

#include <gtest/gtest.h>

#include <cctype>
#include <string>

namespace herald::dispatch {
namespace {

// A minimal RFC 2045 decoder, independent of the encoder, so round trips
// check meaning and not only shape.
std::string Decode(const std::string& qp) {
  std::string out;
  for (std::size_t i = 0; i < qp.size(); ++i) {
    if (qp[i] != '=') {
      out += qp[i];
    } else if (qp.compare(i + 1, 2, "\r\n") == 0) {
      i += 2;  // soft line break
    } else {
      out += static_cast<char>(std::stoi(qp.substr(i + 1, 2), nullptr, 16));
      i += 2;
    }
  }
  return out;
}

TEST(QuotedPrintable, EncodesTable) {
  const std::string a75(75, 'a'), a74(74, 'a'), a76(76, 'a');
  struct Case {
    std::string in;
    std::string want;
  } cases[] = {
      {"", ""},
      {"Hello, world", "Hello, world"},
      {"a=b", "a=3Db"},
      {"caf\xC3\xA9", "caf=C3=A9"},
      {"trailing \r\nx", "trailing=20\r\nx"},
      {"tab\t", "tab=09"},
      {"in between stays", "in between stays"},
      {"bare\nlf", "bare=0Alf"},  // only CRLF is a line break; normalise first
      {a76, a76},                 // a line may use all 76 columns
      {a76 + "a", a75 + "=\r\naa"},
      {a75 + "=", a75 + "=\r\n=3D"},            // "=3D" never split
      {a74 + "\xC3\xA9", a74 + "=\r\n=C3=A9"},  // no room for "=C3" and the soft break
      {".leading dot", ".leading dot"},         // dot-stuffing is libcurl's job
  };
  for (const auto& c : cases) EXPECT_EQ(QuotedPrintableEncode(c.in), c.want) << testing::PrintToString(c.in);
}

TEST(QuotedPrintable, LongInputKeepsLinesShortAndRoundTrips) {
  std::string text;
  for (int i = 0; i < 40; ++i) text += "Quota \xE2\x82\xAC exceeded = yes\t ";
  text += "\r\n\r\nsecond paragraph \r\n";
  for (int i = 0; i < 300; ++i) text += static_cast<char>(i % 256);
  const std::string encoded = QuotedPrintableEncode(text);
  for (std::size_t pos = 0; pos <= encoded.size();) {
    std::size_t end = encoded.find("\r\n", pos);
    if (end == std::string::npos) end = encoded.size();
    EXPECT_LE(end - pos, 76u) << encoded.substr(pos, end - pos);
    const std::string line = encoded.substr(pos, end - pos);
    if (!line.empty()) {
      EXPECT_NE(line.back(), ' ') << "trailing whitespace";
    }
    pos = end + 2;
  }
  for (char c : encoded) {
    ASSERT_TRUE(c == '\r' || c == '\n' || c == '\t' || (c >= 0x20 && c < 0x7F)) << "unsafe output byte " << int(c);
  }
  EXPECT_EQ(Decode(encoded), text);
}

TEST(NormalizeLineBreaks, WritesEveryBreakAsCrlf) {
  struct Case {
    std::string in;
    std::string want;
  } cases[] = {{"a\nb", "a\r\nb"},       {"a\rb", "a\r\nb"},     {"a\r\nb", "a\r\nb"},
               {"a\n\rb", "a\r\n\r\nb"}, {"\r\r\n", "\r\n\r\n"}, {"none", "none"}};
  for (const auto& c : cases) EXPECT_EQ(NormalizeLineBreaks(c.in), c.want) << testing::PrintToString(c.in);
}

}  // namespace
}  // namespace herald::dispatch
