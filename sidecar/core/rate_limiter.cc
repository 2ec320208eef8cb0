#include "sidecar/core/rate_limiter.h"

#include <algorithm>
#include <cmath>

namespace herald::sidecar {

using std::chrono::nanoseconds;

RateLimiter::RateLimiter(nanoseconds interval, int64_t burst)
    : interval_(interval), tolerance_(interval * (burst > 0 ? burst - 1 : 0)) {}

Result<RateLimiter> RateLimiter::Make(double per_second, int64_t burst) {
  if (!std::isfinite(per_second) || per_second <= 0) {
    return Error{"spec.delivery.rateLimit.perSecond: must be a number greater than 0"};
  }
  if (burst < 1) return Error{"spec.delivery.rateLimit.burst: must be at least 1"};
  constexpr double kYearNs = 365.0 * 24 * 3600 * 1e9;
  const double interval = std::round(1e9 / per_second);
  if (interval * static_cast<double>(burst) > kYearNs) {
    return Error{
        "spec.delivery.rateLimit: perSecond too small for this burst (the bucket would take over a year "
        "to fill)"};
  }
  // Rates above one per nanosecond round to an interval of 1ns: the limit
  // is then unreachable anyway.
  return RateLimiter(nanoseconds{std::max<int64_t>(1, static_cast<int64_t>(interval))}, burst);
}

bool RateLimiter::TryAcquire(MonoTime now) {
  if (interval_.count() == 0) return true;
  const MonoTime tat = tat_ > now ? tat_ : now;
  if (tat - now > tolerance_) return false;
  tat_ = tat + interval_;
  return true;
}

MonoTime RateLimiter::NextAvailable(MonoTime now) const {
  if (interval_.count() == 0) return now;
  const MonoTime tat = tat_ > now ? tat_ : now;
  if (tat - now <= tolerance_) return now;
  return tat - tolerance_;
}

}  // namespace herald::sidecar
