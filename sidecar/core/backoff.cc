#include "sidecar/core/backoff.h"

#include <cmath>

#include "herald/duration.h"

namespace herald::sidecar {

using std::chrono::nanoseconds;

Result<BackoffPolicy> MakeBackoffPolicy(nanoseconds initial, nanoseconds max, double multiplier, int max_attempts) {
  if (initial <= nanoseconds{0}) return Error{"spec.delivery.backoff.initial: must be greater than 0"};
  if (max < initial) return Error{"spec.delivery.backoff.max: must be at least backoff.initial"};
  if (!std::isfinite(multiplier) || multiplier < 1.0) {
    return Error{"spec.delivery.backoff.multiplier: must be a number of at least 1"};
  }
  if (max_attempts < 1) return Error{"spec.delivery.maxAttempts: must be at least 1"};
  return BackoffPolicy{initial, max, multiplier, max_attempts};
}

Result<BackoffPolicy> ParseBackoffPolicy(std::string_view initial, std::string_view max, double multiplier,
                                         int max_attempts) {
  auto i = ParseDuration(initial);
  if (!i) return Error{"spec.delivery.backoff.initial: not a duration: \"" + std::string(initial) + "\""};
  auto m = ParseDuration(max);
  if (!m) return Error{"spec.delivery.backoff.max: not a duration: \"" + std::string(max) + "\""};
  return MakeBackoffPolicy(*i, *m, multiplier, max_attempts);
}

nanoseconds BackoffCeiling(const BackoffPolicy& policy, int failed_attempts) {
  const int n = failed_attempts < 1 ? 1 : failed_attempts;
  // In floating point, then compared with max before converting back, so
  // multiplier^n can grow without bound and never overflow an integer.
  const double ceiling = static_cast<double>(policy.initial.count()) * std::pow(policy.multiplier, n - 1);
  if (!(ceiling < static_cast<double>(policy.max.count()))) return policy.max;
  return nanoseconds{static_cast<nanoseconds::rep>(ceiling)};
}

nanoseconds BackoffDelay(const BackoffPolicy& policy, int failed_attempts, Random& random) {
  const nanoseconds ceiling = BackoffCeiling(policy, failed_attempts);
  double u = random.Uniform();
  if (!(u >= 0.0 && u < 1.0)) u = 0.0;  // a misbehaving source must not exceed the ceiling
  return nanoseconds{static_cast<nanoseconds::rep>(static_cast<double>(ceiling.count()) * u)};
}

}  // namespace herald::sidecar
