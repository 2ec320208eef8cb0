#pragma once
// A channel's token bucket (spec.delivery.rateLimit: perSecond, burst): up to
// `burst` sends at once, refilled at `perSecond`.
//
// Implemented in its GCRA form (a "theoretical arrival time" instead of a
// fractional token count): the same bucket, in exact integer nanoseconds, so
// TryAcquire(NextAvailable(now)) is true with no floating-point drift. Not
// thread-safe; the event loop owns it.
#include <chrono>
#include <cstdint>

#include "herald/result.h"
#include "sidecar/core/types.h"

namespace herald::sidecar {

class RateLimiter {
 public:
  // Returns a limiter whose bucket starts full, or an error naming the field
  // when per_second is not a positive finite number, burst < 1, or the bucket
  // would take more than a year to fill (nonsense that would overflow).
  [[nodiscard]] static Result<RateLimiter> Make(double per_second, int64_t burst);

  // Returns a limiter that never limits (no rateLimit configured).
  [[nodiscard]] static RateLimiter Unlimited() { return RateLimiter(std::chrono::nanoseconds{0}, 0); }

  // Takes one token if one is available at `now`. Returns true when taken
  // (send now), false when the bucket is empty (ask NextAvailable).
  [[nodiscard]] bool TryAcquire(MonoTime now);

  // Returns the earliest time at or after `now` when TryAcquire will succeed
  // (`now` itself when a token is available). Takes nothing.
  [[nodiscard]] MonoTime NextAvailable(MonoTime now) const;

 private:
  RateLimiter(std::chrono::nanoseconds interval, int64_t burst);

  // Time per token; 0 means unlimited.
  std::chrono::nanoseconds interval_;
  // How far the theoretical arrival time may run ahead of now: the burst.
  std::chrono::nanoseconds tolerance_;
  MonoTime tat_ = MonoTime::min();
};

}  // namespace herald::sidecar
