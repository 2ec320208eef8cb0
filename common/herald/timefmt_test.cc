#include "herald/timefmt.h"

#include <gtest/gtest.h>

namespace herald {
namespace {

TEST(FormatRfc3339, WritesTheRequestedPrecisionInUtc) {
  using namespace std::chrono;
  auto t = sys_days{2026y / 11 / 22} + 10h + 15min + 7s + 123456us;
  EXPECT_EQ(FormatRfc3339(t, 0), "2026-11-22T10:15:07Z");
  EXPECT_EQ(FormatRfc3339(t, 3), "2026-11-22T10:15:07.123Z");
  EXPECT_EQ(FormatRfc3339(t, 6), "2026-11-22T10:15:07.123456Z");
  EXPECT_EQ(FormatRfc3339(sys_days{1970y / 1 / 1}, 3), "1970-01-01T00:00:00.000Z");
}

}  // namespace
}  // namespace herald
