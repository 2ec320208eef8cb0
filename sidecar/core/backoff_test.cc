#include "sidecar/core/backoff.h"

#include <gtest/gtest.h>

#include <climits>
#include <cmath>
#include <limits>
#include <set>

#include "sidecar/core/test_random.h"

using namespace std::chrono_literals;

namespace herald::sidecar {
namespace {

using std::chrono::nanoseconds;

const BackoffPolicy kDefault{500ms, 30s, 2.0, 5};

TEST(MakeBackoffPolicy, RejectsNonsense) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  struct Case {
    nanoseconds initial, max;
    double multiplier;
    int max_attempts;
    const char* field;
  } cases[] = {
      {0ns, 30s, 2, 5, "backoff.initial"},     {-1s, 30s, 2, 5, "backoff.initial"},
      {2s, 1s, 2, 5, "backoff.max"},           {1s, 30s, 0.5, 5, "backoff.multiplier"},
      {1s, 30s, nan, 5, "backoff.multiplier"}, {1s, 30s, inf, 5, "backoff.multiplier"},
      {1s, 30s, 2, 0, "maxAttempts"},          {1s, 30s, 2, -3, "maxAttempts"},
  };
  for (const auto& c : cases) {
    auto p = MakeBackoffPolicy(c.initial, c.max, c.multiplier, c.max_attempts);
    ASSERT_FALSE(p.ok()) << c.field;
    EXPECT_NE(p.error().find(c.field), std::string::npos) << p.error();
  }
}

TEST(MakeBackoffPolicy, AcceptsEdges) {
  auto p = MakeBackoffPolicy(1s, 1s, 1.0, 1);
  ASSERT_TRUE(p.ok()) << p.error();
  EXPECT_EQ(p->initial, 1s);
  EXPECT_EQ(p->max, 1s);
  EXPECT_EQ(p->multiplier, 1.0);
  EXPECT_EQ(p->max_attempts, 1);
}

TEST(ParseBackoffPolicy, ReadsResourceDurations) {
  auto p = ParseBackoffPolicy("500ms", "30s", 2, 5);
  ASSERT_TRUE(p.ok()) << p.error();
  EXPECT_EQ(p->initial, 500ms);
  EXPECT_EQ(p->max, 30s);

  struct Case {
    const char* initial;
    const char* max;
    const char* field;
  } cases[] = {{"fast", "30s", "backoff.initial"}, {"1s", "", "backoff.max"}, {"1s", "500ms", "backoff.max"}};
  for (const auto& c : cases) {
    auto bad = ParseBackoffPolicy(c.initial, c.max, 2, 5);
    ASSERT_FALSE(bad.ok());
    EXPECT_NE(bad.error().find(c.field), std::string::npos) << bad.error();
  }
}

TEST(BackoffCeiling, GrowsByMultiplierUpToMax) {
  struct Case {
    BackoffPolicy policy;
    int failed;
    nanoseconds want;
  } cases[] = {
      {kDefault, 0, 500ms},
      {kDefault, 1, 500ms},
      {kDefault, 2, 1s},
      {kDefault, 3, 2s},
      {kDefault, 5, 8s},
      {kDefault, 6, 16s},
      {kDefault, 7, 30s},
      {kDefault, 8, 30s},
      {kDefault, 5000, 30s},
      {kDefault, INT_MAX, 30s},
      {{100ms, 10s, 1.5, 5}, 3, 225ms},
      {{1s, 10s, 1.0, 5}, 9, 1s},
      {{1ns, std::chrono::hours{24 * 365}, 10.0, 5}, 400, std::chrono::hours{24 * 365}},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(BackoffCeiling(c.policy, c.failed), c.want) << "failed=" << c.failed;
  }
}

TEST(BackoffDelay, IsFullJitterBelowTheCeiling) {
  struct Case {
    int failed;
    double u;
    nanoseconds want;
  } cases[] = {
      {1, 0.0, 0ns},  {1, 0.5, 250ms}, {3, 0.25, 500ms},
      {9, 0.5, 15s},  {1, 1.0, 0ns},  // out of contract: clamped, never above the ceiling
      {1, -0.5, 0ns},                 // likewise
  };
  for (const auto& c : cases) {
    ScriptedRandom r({c.u});
    EXPECT_EQ(BackoffDelay(kDefault, c.failed, r), c.want) << "failed=" << c.failed << " u=" << c.u;
    EXPECT_EQ(r.calls(), 1u);
  }
}

TEST(BackoffDelay, SeededSourceStaysInRangeAndSpreads) {
  SeededRandom r(42);
  std::set<nanoseconds::rep> seen;
  for (int i = 0; i < 1000; ++i) {
    nanoseconds d = BackoffDelay(kDefault, 4, r);
    ASSERT_GE(d, 0ns);
    ASSERT_LT(d, 4s);
    seen.insert(d.count());
  }
  EXPECT_GT(seen.size(), 900u);  // jitter, not a constant
}

TEST(Exhausted, CountsTheFirstAttempt) {
  struct Case {
    int max_attempts, attempts;
    bool want;
  } cases[] = {{5, 1, false}, {5, 4, false}, {5, 5, true}, {5, 6, true}, {1, 1, true}};
  for (const auto& c : cases) {
    BackoffPolicy p = kDefault;
    p.max_attempts = c.max_attempts;
    EXPECT_EQ(Exhausted(p, c.attempts), c.want) << c.attempts << "/" << c.max_attempts;
  }
}

}  // namespace
}  // namespace herald::sidecar
