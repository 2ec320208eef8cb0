#include "sidecar/core/retry_after.h"

#include <gtest/gtest.h>

using namespace std::chrono_literals;

namespace herald::sidecar {
namespace {

using std::chrono::nanoseconds;

// 2026-01-01T00:00:00Z, a Thursday.
const WallTime kNow = std::chrono::sys_days{std::chrono::year{2026} / 1 / 1};

TEST(ParseRetryAfter, ReadsBothFormsAndClamps) {
  struct Case {
    const char* value;
    std::optional<nanoseconds> want;
  } cases[] = {
      {"120", 120s},
      {"0", 0s},
      {" \t5 ", 5s},
      {"600", 600s},
      {"601", 600s},                         // capped
      {"99999999999999999999999999", 600s},  // capped without overflow
      {"18446744073709551621", 600s},        // 2^64 + 5: would wrap to 5 if read unchecked
      {"Thu, 01 Jan 2026 00:01:30 GMT", 90s},
      {"Wed, 31 Dec 2025 23:00:00 GMT", 0s},  // in the past: go now
      {"Fri, 31 Dec 9999 23:59:59 GMT", 600s},
      {"Thursday, 01-Jan-26 00:00:30 GMT", 30s},
      {"Thu Jan  1 00:00:45 2026", 45s},
      {"", std::nullopt},
      {"   ", std::nullopt},
      {"soon", std::nullopt},
      {"-5", std::nullopt},
      {"1.5", std::nullopt},
      {"5s", std::nullopt},
      {"Thu, 01 Jan 2026 00:01:30 UTC", std::nullopt},
      {"Thu, 31 Feb 2026 00:00:00 GMT", std::nullopt},
      {"Thu, 01 Jan 2026 24:00:00 GMT", std::nullopt},
      {"Thu, 1 Jan 2026 00:01:30 GMT", std::nullopt},
      {"Thu, 01 Jan 2026 00:01:30 GMT trailing", std::nullopt},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(ParseRetryAfter(c.value, kNow), c.want) << '"' << c.value << '"';
  }
}

TEST(ParseRetryAfter, HonoursACustomCap) {
  EXPECT_EQ(ParseRetryAfter("120", kNow, 30s), nanoseconds{30s});
  EXPECT_EQ(ParseRetryAfter("Thu, 01 Jan 2026 01:00:00 GMT", kNow, 30s), nanoseconds{30s});
  EXPECT_EQ(ParseRetryAfter("20", kNow, 30s), nanoseconds{20s});
}

TEST(ParseHttpDate, AllThreeFormsNameTheSameInstant) {
  // RFC 9110 section 5.6.7's example: 784111777 seconds after the epoch.
  const WallTime want{std::chrono::seconds{784111777}};
  for (const char* v : {"Sun, 06 Nov 1994 08:49:37 GMT", "Sunday, 06-Nov-94 08:49:37 GMT", "Sun Nov  6 08:49:37 1994",
                        "sun, 06 nov 1994 08:49:37 GMT"}) {
    auto got = ParseHttpDate(v, kNow);
    ASSERT_TRUE(got.has_value()) << v;
    EXPECT_EQ(*got, want) << v;
  }
}

TEST(ParseHttpDate, TwoDigitYearsPickTheCenturyWithin50Years) {
  struct Case {
    const char* value;
    int year;
  } cases[] = {
      {"Sunday, 06-Nov-94 08:49:37 GMT", 1994},
      {"Sunday, 06-Nov-30 08:49:37 GMT", 2030},
      {"Sunday, 06-Nov-76 08:49:37 GMT", 2076},
      {"Sunday, 06-Nov-77 08:49:37 GMT", 1977},
  };
  for (const auto& c : cases) {
    auto got = ParseHttpDate(c.value, kNow);
    ASSERT_TRUE(got.has_value()) << c.value;
    std::chrono::year_month_day ymd{std::chrono::floor<std::chrono::days>(*got)};
    EXPECT_EQ(static_cast<int>(ymd.year()), c.year) << c.value;
  }
}

TEST(ParseHttpDate, RejectsMalformedDates) {
  for (const char* v :
       {"", "Sun, 06 Nov 1994", "Sun, 06 Foo 1994 08:49:37 GMT", "Sun Nov 6 08:49:37 1994", "Sun Nov  6 08:49:37 94",
        "Sunday, 06-Nov-1994 08:49:37 GMT", "Sun, 06 Nov 1994 08:60:37 GMT", "Sun, 29 Feb 2026 08:49:37 GMT"}) {
    EXPECT_FALSE(ParseHttpDate(v, kNow).has_value()) << v;
  }
}

}  // namespace
}  // namespace herald::sidecar
