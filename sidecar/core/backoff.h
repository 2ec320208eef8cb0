#pragma once
// Exponential backoff with full jitter, from a channel's spec.delivery
// (maxAttempts, backoff.initial / max / multiplier).
//
// Why full jitter (delay uniform in [0, ceiling), ceiling = min(max,
// initial * multiplier^(n-1))) rather than decorrelated jitter: it uses all
// three configured knobs exactly as users read them (decorrelated jitter
// hard-codes a factor of 3 and ignores `multiplier`); the delay depends only
// on the attempt number, so a retrying message carries no state beyond its
// attempt count; and it spreads a burst of failures (up to `concurrency`
// messages failing together when a sink goes down) most evenly. The cost, an
// occasional near-zero delay, is bounded by maxAttempts, and rate-limit
// answers do not use it: they follow Retry-After or pause the whole channel
// (see retry_plan.h).
#include <chrono>
#include <string_view>

#include "herald/result.h"
#include "sidecar/core/random.h"

namespace herald::sidecar {

struct BackoffPolicy {
  std::chrono::nanoseconds initial{std::chrono::milliseconds{500}};
  std::chrono::nanoseconds max{std::chrono::seconds{30}};
  double multiplier = 2.0;
  // Attempts in total, the first one included: 1 means never retry.
  int max_attempts = 5;
};

// Returns the policy, or an error naming the field when initial <= 0,
// max < initial, multiplier < 1 or not finite, or max_attempts < 1.
[[nodiscard]] Result<BackoffPolicy> MakeBackoffPolicy(std::chrono::nanoseconds initial, std::chrono::nanoseconds max,
                                                      double multiplier, int max_attempts);

// The same from the resource's duration strings ("500ms", "30s"). Returns
// the policy, or an error naming spec.delivery.backoff.initial/max when a
// string is not a duration, or any MakeBackoffPolicy error.
[[nodiscard]] Result<BackoffPolicy> ParseBackoffPolicy(std::string_view initial, std::string_view max,
                                                       double multiplier, int max_attempts);

// Returns the longest delay after `failed_attempts` failed attempts (at least
// 1; smaller values count as 1): min(max, initial * multiplier^(n-1)), never
// overflowing however large n is.
[[nodiscard]] std::chrono::nanoseconds BackoffCeiling(const BackoffPolicy& policy, int failed_attempts);

// Returns the jittered delay before the next attempt: uniform in
// [0, BackoffCeiling) drawn from `random`.
[[nodiscard]] std::chrono::nanoseconds BackoffDelay(const BackoffPolicy& policy, int failed_attempts, Random& random);

// Returns whether a message that has made `attempts` attempts may not try
// again (attempts >= max_attempts): it goes to the dead-letter topic with
// class "exhausted".
[[nodiscard]] inline bool Exhausted(const BackoffPolicy& policy, int attempts) {
  return attempts >= policy.max_attempts;
}

}  // namespace herald::sidecar
