#include "sidecar/core/retry_plan.h"

#include <gtest/gtest.h>

#include "sidecar/core/test_random.h"

using namespace std::chrono_literals;

namespace herald::sidecar {
namespace {

using std::chrono::nanoseconds;

const BackoffPolicy kPolicy{500ms, 30s, 2.0, 5};
const MonoTime kT0 = MonoTime{} + 1000h;

Outcome Retryable(std::optional<nanoseconds> retry_after = std::nullopt, bool throttle = false) {
  return {Verdict::kRetryable, "test", retry_after, throttle};
}

TEST(ChannelThrottle, OnlyEverExtends) {
  ChannelThrottle t;
  EXPECT_FALSE(t.Paused(kT0));
  EXPECT_EQ(t.NotBefore(kT0), kT0);
  EXPECT_EQ(t.PauseUntil(kT0 + 10s), kT0 + 10s);
  EXPECT_EQ(t.PauseUntil(kT0 + 5s), kT0 + 10s);  // earlier: ignored
  EXPECT_EQ(t.PauseUntil(kT0 + 20s), kT0 + 20s);
  EXPECT_TRUE(t.Paused(kT0 + 19s));
  EXPECT_EQ(t.NotBefore(kT0 + 1s), kT0 + 20s);
  EXPECT_FALSE(t.Paused(kT0 + 20s));
  EXPECT_EQ(t.NotBefore(kT0 + 25s), kT0 + 25s);
}

TEST(PlanRetry, Table) {
  struct Case {
    const char* name;
    Outcome outcome;
    int attempts;
    std::optional<MonoTime> paused_before;  // an earlier 429's pause
    double u;
    bool want_exhausted;
    MonoTime want_not_before;
    MonoTime want_pause;  // throttle.NotBefore(kT0) afterwards
  } cases[] = {
      {"5xx: jittered backoff", Retryable(), 1, {}, 0.5, false, kT0 + 250ms, kT0},
      {"5xx, third attempt", Retryable(), 3, {}, 0.5, false, kT0 + 1s, kT0},
      {"503 Retry-After honoured", Retryable(10s), 1, {}, 0.5, false, kT0 + 10s, kT0},
      {"429 with Retry-After pauses the channel", Retryable(10s, true), 1, {}, 0.5, false, kT0 + 10s, kT0 + 10s},
      {"429 without: channel pauses for the ceiling", Retryable({}, true), 2, {}, 0.1, false, kT0 + 1s, kT0 + 1s},
      {"429 never shortens a longer pause", Retryable(10s, true), 1, kT0 + 60s, 0.5, false, kT0 + 60s, kT0 + 60s},
      {"other messages wait for the pause", Retryable(), 1, kT0 + 60s, 0.5, false, kT0 + 60s, kT0 + 60s},
      {"pause shorter than own delay", Retryable(), 3, kT0 + 100ms, 0.5, false, kT0 + 1s, kT0 + 100ms},
      {"exhausted", Retryable(), 5, {}, 0.5, true, MonoTime{}, kT0},
      {"exhausted 429 still pauses", Retryable(7s, true), 5, {}, 0.5, true, MonoTime{}, kT0 + 7s},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    ChannelThrottle throttle;
    if (c.paused_before) throttle.PauseUntil(*c.paused_before);
    ScriptedRandom r({c.u});
    RetryPlan plan = PlanRetry(kPolicy, c.outcome, c.attempts, kT0, r, throttle);
    EXPECT_EQ(plan.exhausted, c.want_exhausted);
    if (!c.want_exhausted) {
      EXPECT_EQ(plan.not_before, c.want_not_before);
    }
    EXPECT_EQ(throttle.NotBefore(kT0), c.want_pause);
  }
}

}  // namespace
}  // namespace herald::sidecar
