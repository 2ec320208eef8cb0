#include "herald/log.h"

#include <gtest/gtest.h>

namespace herald::log {
namespace {

TEST(Log, FormatsOneJsonObjectWithContext) {
  auto line = Format(Level::kWarn, "delivery failed", {{"globalId", "abc"}, {"channel", "team-a/ops"}});
  EXPECT_EQ(line.find('\n'), std::string::npos);
  auto parsed = nlohmann::json::parse(line);
  EXPECT_EQ(parsed["level"], "warn");
  EXPECT_EQ(parsed["msg"], "delivery failed");
  EXPECT_EQ(parsed["globalId"], "abc");
  EXPECT_EQ(parsed["channel"], "team-a/ops");
  EXPECT_TRUE(parsed["ts"].is_string());
}

TEST(Log, ContextCannotOverrideReservedKeys) {
  auto parsed = nlohmann::json::parse(Format(Level::kInfo, "real", {{"msg", "fake"}, {"level", "error"}}));
  EXPECT_EQ(parsed["msg"], "real");
  EXPECT_EQ(parsed["level"], "info");
}

TEST(Log, InvalidUtf8DoesNotThrow) {
  std::string bad = "x\xff\xfey";
  EXPECT_NO_THROW({ auto s = Format(Level::kInfo, bad, {{"k", bad}}); });
}

TEST(Log, ParsesLevels) {
  Level l{};
  EXPECT_TRUE(ParseLevel("debug", &l));
  EXPECT_EQ(l, Level::kDebug);
  EXPECT_FALSE(ParseLevel("loud", &l));
}

}  // namespace
}  // namespace herald::log
