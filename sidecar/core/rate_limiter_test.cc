#include "sidecar/core/rate_limiter.h"

#include <gtest/gtest.h>

#include <limits>

using namespace std::chrono_literals;

namespace herald::sidecar {
namespace {

const MonoTime kT0 = MonoTime{} + 1000h;

RateLimiter Make(double per_second, int64_t burst) {
  auto r = RateLimiter::Make(per_second, burst);
  EXPECT_TRUE(r.ok()) << r.error();
  return *r;
}

TEST(RateLimiter, MakeRejectsNonsense) {
  struct Case {
    double per_second;
    int64_t burst;
    const char* field;
  } cases[] = {
      {0, 10, "perSecond"},
      {-1, 10, "perSecond"},
      {std::numeric_limits<double>::quiet_NaN(), 10, "perSecond"},
      {std::numeric_limits<double>::infinity(), 10, "perSecond"},
      {10, 0, "burst"},
      {10, -5, "burst"},
      {1e-6, 1000, "over a year"},
  };
  for (const auto& c : cases) {
    auto r = RateLimiter::Make(c.per_second, c.burst);
    ASSERT_FALSE(r.ok()) << c.per_second << "/" << c.burst;
    EXPECT_NE(r.error().find(c.field), std::string::npos) << r.error();
  }
}

TEST(RateLimiter, BurstThenOnePerInterval) {
  RateLimiter r = Make(10, 3);  // 100ms per token
  // Each step: time offset from kT0, whether TryAcquire succeeds, and what
  // NextAvailable says afterwards.
  struct Step {
    std::chrono::milliseconds at;
    bool want;
    std::chrono::milliseconds next;
  } steps[] = {
      {0ms, true, 0ms},     {0ms, true, 0ms},      {0ms, true, 100ms},   {0ms, false, 100ms},  {99ms, false, 100ms},
      {100ms, true, 200ms}, {100ms, false, 200ms}, {250ms, true, 300ms}, {300ms, true, 400ms},
  };
  for (const auto& s : steps) {
    SCOPED_TRACE(testing::Message() << "at " << s.at.count() << "ms");
    EXPECT_EQ(r.TryAcquire(kT0 + s.at), s.want);
    EXPECT_EQ(r.NextAvailable(kT0 + s.at), kT0 + s.next);
  }
}

TEST(RateLimiter, IdleRefillsOnlyUpToBurst) {
  RateLimiter r = Make(10, 3);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(r.TryAcquire(kT0));
  const MonoTime later = kT0 + 1h;
  int got = 0;
  while (r.TryAcquire(later)) ++got;
  EXPECT_EQ(got, 3);
}

TEST(RateLimiter, SustainedRateMatchesPerSecondPlusBurst) {
  RateLimiter r = Make(50, 100);
  int got = 0;
  for (auto t = 0ms; t <= 10s; t += 1ms) {
    while (r.TryAcquire(kT0 + t)) ++got;
  }
  EXPECT_EQ(got, 100 + 500);
}

TEST(RateLimiter, NextAvailableIsExactAndTakesNothing) {
  RateLimiter r = Make(3, 2);  // 333333333ns per token: not a round number
  MonoTime now = kT0;
  for (int i = 0; i < 1000; ++i) {
    MonoTime next = r.NextAvailable(now);
    ASSERT_EQ(r.NextAvailable(now), next);  // asking twice changes nothing
    if (next > now) {
      ASSERT_FALSE(r.TryAcquire(next - 1ns)) << i;
    }
    ASSERT_TRUE(r.TryAcquire(next)) << i;
    now = next;
  }
}

TEST(RateLimiter, FractionalRate) {
  RateLimiter r = Make(0.5, 1);  // one every 2s
  EXPECT_TRUE(r.TryAcquire(kT0));
  EXPECT_FALSE(r.TryAcquire(kT0 + 1999ms));
  EXPECT_EQ(r.NextAvailable(kT0), kT0 + 2s);
  EXPECT_TRUE(r.TryAcquire(kT0 + 2s));
}

TEST(RateLimiter, UnlimitedNeverWaits) {
  RateLimiter r = RateLimiter::Unlimited();
  for (int i = 0; i < 100000; ++i) ASSERT_TRUE(r.TryAcquire(kT0));
  EXPECT_EQ(r.NextAvailable(kT0), kT0);
}

}  // namespace
}  // namespace herald::sidecar
