#pragma once
// When a message that failed may try again, and how the whole channel slows
// down after a rate-limit answer. Combines the outcome (outcome.h), the
// channel's backoff (backoff.h) and one ChannelThrottle per channel.
#include <chrono>

#include "sidecar/core/backoff.h"
#include "sidecar/core/outcome.h"
#include "sidecar/core/random.h"
#include "sidecar/core/types.h"

namespace herald::sidecar {

// A channel-wide "send nothing before" point. One 429 means the receiver is
// over its limit for everyone, so every message of the channel waits, not
// only the one that got the answer.
class ChannelThrottle {
 public:
  // Extends the pause to `until` when that is later than the current pause;
  // an earlier `until` never shortens it. Returns the pause end in effect.
  MonoTime PauseUntil(MonoTime until) {
    if (until > paused_until_) paused_until_ = until;
    return paused_until_;
  }

  // Returns the earliest time anything may be sent: the later of `now` and
  // the pause end.
  [[nodiscard]] MonoTime NotBefore(MonoTime now) const { return now > paused_until_ ? now : paused_until_; }

  // Returns whether sending is paused at `now`.
  [[nodiscard]] bool Paused(MonoTime now) const { return now < paused_until_; }

 private:
  MonoTime paused_until_ = MonoTime::min();
};

struct RetryPlan {
  // True: no attempts left; dead-letter the message with class "exhausted".
  bool exhausted = false;
  // When !exhausted: the earliest time for the next attempt.
  MonoTime not_before{};
};

// Plans what follows a retryable `outcome` after `attempts` attempts (the
// failed one included, so at least 1).
//
// Throttling comes first and happens even when the message is exhausted: a
// rate-limit answer is news about the channel, not about this message. The
// channel pauses until now + Retry-After, or, without Retry-After, until
// now + BackoffCeiling: the ceiling rather than a jittered draw, so one
// unlucky near-zero draw cannot lift a channel-wide pause.
//
// Returns exhausted when attempts >= max_attempts (a 429 counts as an attempt,
// so a receiver that never stops refusing cannot hold a message forever).
// Otherwise not_before is now + Retry-After when the server sent one (it is
// honoured as given, already capped by ParseRetryAfter), else now + the
// jittered backoff; and never before the channel's pause ends.
[[nodiscard]] RetryPlan PlanRetry(const BackoffPolicy& policy, const Outcome& outcome, int attempts, MonoTime now,
                                  Random& random, ChannelThrottle& throttle);

}  // namespace herald::sidecar
