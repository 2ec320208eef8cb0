#include "herald/duration.h"

#include <gtest/gtest.h>

using namespace std::chrono_literals;

namespace herald {
namespace {

TEST(ParseDuration, AcceptsGoStyleDurations) {
  struct Case {
    const char* text;
    std::chrono::nanoseconds want;
  } cases[] = {{"0", 0ns},       {"500ms", 500ms}, {"30s", 30s}, {"1m30s", 90s},    {"168h", 168h},
               {"1.5s", 1500ms}, {"10us", 10us},   {"7ns", 7ns}, {"2h45m", 165min}, {"0.5m", 30s}};
  for (const auto& c : cases) {
    auto got = ParseDuration(c.text);
    ASSERT_TRUE(got.has_value()) << c.text;
    EXPECT_EQ(*got, c.want) << c.text;
  }
}

TEST(ParseDuration, RejectsMalformedInput) {
  for (const char* text : {"", "10", "s", "-5s", "5x", "1.s5", "5 s", "99999999999999999999h", "3000000h"}) {
    EXPECT_FALSE(ParseDuration(text).has_value()) << text;
  }
}

TEST(FormatDuration, RoundTrips) {
  for (auto d : {std::chrono::nanoseconds{0}, std::chrono::nanoseconds{500ms}, std::chrono::nanoseconds{90s},
                 std::chrono::nanoseconds{168h}, std::chrono::nanoseconds{7ns}}) {
    auto parsed = ParseDuration(FormatDuration(d));
    ASSERT_TRUE(parsed.has_value()) << FormatDuration(d);
    EXPECT_EQ(*parsed, d);
  }
  EXPECT_EQ(FormatDuration(90s), "1m30s");
  EXPECT_EQ(FormatDuration(500ms), "500ms");
}

}  // namespace
}  // namespace herald
