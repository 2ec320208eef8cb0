#include "dispatch/header_encoding.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "dispatch/base64.h"
#include "dispatch/utf8.h"

namespace herald::dispatch {
namespace {

std::vector<std::string> Split(const std::string& s, const std::string& sep) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (true) {
    const std::size_t end = s.find(sep, pos);
    out.push_back(s.substr(pos, end == std::string::npos ? std::string::npos : end - pos));
    if (end == std::string::npos) return out;
    pos = end + sep.size();
  }
}

// Decodes a space-separated run of B encoded-words, checking each one's shape.
std::string DecodeWords(const std::string& encoded) {
  std::string out;
  for (const std::string& word : Split(encoded, " ")) {
    EXPECT_LE(word.size(), 60u) << word;
    EXPECT_TRUE(word.starts_with("=?UTF-8?B?") && word.ends_with("?=")) << word;
    auto bytes = Base64Decode(word.substr(10, word.size() - 12));
    EXPECT_TRUE(bytes.ok()) << word;
    if (!bytes.ok()) return {};
    EXPECT_TRUE(IsValidUtf8(*bytes)) << "encoded-word splits a UTF-8 sequence: " << word;
    out += *bytes;
  }
  return out;
}

TEST(NeutraliseControls, ReplacesEveryControlWithOneSpace) {
  struct Case {
    std::string in, want;
  } cases[] = {{"plain", "plain"},
               {"a\r\nBcc: evil@example.com", "a Bcc: evil@example.com"},
               {"a\nb\rc", "a b c"},
               {"a\r\n\r\nb", "a  b"},
               {std::string("nul\0x", 5), "nul x"},
               {"tab\tdel\x7f", "tab del "},
               {"caf\xC3\xA9", "caf\xC3\xA9"}};
  for (const auto& c : cases) EXPECT_EQ(NeutraliseControls(c.in), c.want) << testing::PrintToString(c.in);
}

TEST(EncodeWords, EncodesAndSplitsOnCharacterBoundaries) {
  std::string cjk, emoji, mixed;
  for (int i = 0; i < 40; ++i) cjk += "\xE9\x85\x8D";        // U+914D, 3 bytes
  for (int i = 0; i < 30; ++i) emoji += "\xF0\x9F\x93\xA8";  // 4 bytes
  for (int i = 0; i < 30; ++i) mixed += "a\xC3\xA9\xE2\x82\xAC ";
  struct Case {
    std::string in;
    std::size_t want_words;
  } cases[] = {{"\xC3\xA9", 1}, {cjk, 4}, {emoji, 4}, {mixed, 6}, {std::string(36, 'x'), 1}, {std::string(37, 'x'), 2}};
  for (const auto& c : cases) {
    const std::string encoded = EncodeWords(c.in);
    EXPECT_EQ(Split(encoded, " ").size(), c.want_words) << encoded;
    EXPECT_EQ(DecodeWords(encoded), c.in);
  }
  EXPECT_EQ(EncodeWords("\xC3\xA9"), "=?UTF-8?B?w6k=?=");
  EXPECT_EQ(EncodeWords(""), "");
}

TEST(EncodeUnstructured, KeepsPlainAsciiAndEncodesTheRest) {
  const std::string long_run(76, 'x');
  struct Case {
    std::string in;
    bool stays_plain;
  } cases[] = {{"Quota exceeded for checkout", true},
               {"", true},
               {"Prix: 5 \xE2\x82\xAC", false},
               {"=?UTF-8?B?c3Bvb2Y=?=", false},  // would otherwise be decoded as a word
               {long_run, false},                // could not fold
               {std::string(75, 'x'), true}};
  for (const auto& c : cases) {
    const std::string out = EncodeUnstructured(c.in);
    if (c.stays_plain) {
      EXPECT_EQ(out, c.in);
    } else {
      EXPECT_EQ(DecodeWords(out), c.in);
    }
  }
  EXPECT_EQ(EncodeUnstructured("Hi\r\nBcc: evil@example.com"), "Hi Bcc: evil@example.com");
}

TEST(EncodePhrase, QuotesOrEncodesDisplayNames) {
  struct Case {
    std::string in, want;
  } cases[] = {{"Herald", "Herald"},
               {"Herald Bot", "Herald Bot"},
               {"", ""},
               {"Doe, John", "\"Doe, John\""},
               {"J. Smith", "\"J. Smith\""},
               {"a\"b\\c", "\"a\\\"b\\\\c\""},
               {"ops@example.com", "\"ops@example.com\""},
               {"=?UTF-8?B?c3Bvb2Y=?=", "=?UTF-8?B?PT9VVEYtOD9CP2MzQnZiMlk9Pz0=?="},
               {"Zo\xC3\xAB", "=?UTF-8?B?Wm/Dqw==?="},
               {"Line\r\nBcc: x", "\"Line Bcc: x\""}};
  for (const auto& c : cases) EXPECT_EQ(EncodePhrase(c.in), c.want) << testing::PrintToString(c.in);
}

TEST(FoldHeader, FoldsLongValuesAtSpacesAndUnfoldsBackExactly) {
  std::string words;
  for (int i = 0; i < 40; ++i) words += "word" + std::to_string(i) + " ";
  words += "  double  spaces   end";
  struct Case {
    std::string value;
    std::size_t min_lines;
  } cases[] = {{"short", 1}, {"", 1}, {words, 4}, {EncodeWords(std::string(300, 'x')), 5}};
  for (const auto& c : cases) {
    const std::string out = FoldHeader("Subject", c.value);
    ASSERT_TRUE(out.ends_with("\r\n"));
    const auto lines = Split(out.substr(0, out.size() - 2), "\r\n");
    EXPECT_GE(lines.size(), c.min_lines);
    for (std::size_t i = 0; i < lines.size(); ++i) {
      EXPECT_LE(lines[i].size(), 78u) << lines[i];
      if (i > 0) {
        EXPECT_EQ(lines[i].front(), ' ') << "continuation must start with whitespace";
        EXPECT_NE(lines[i].find_first_not_of(' '), std::string::npos) << "whitespace-only line";
      }
    }
    std::string unfolded;
    for (const auto& l : lines) unfolded += l;
    EXPECT_EQ(unfolded, "Subject: " + c.value);
  }
}

TEST(FoldHeader, NeverLetsALineBreakThrough) {
  const std::string out = FoldHeader("X-Test", "a\r\nBcc: evil@example.com\nTo: x\r");
  EXPECT_EQ(out, "X-Test: a Bcc: evil@example.com To: x \r\n");
}

}  // namespace
}  // namespace herald::dispatch
