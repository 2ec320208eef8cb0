#include "sidecar/core/retry_plan.h"

namespace herald::sidecar {

RetryPlan PlanRetry(const BackoffPolicy& policy, const Outcome& outcome, int attempts, MonoTime now, Random& random,
                    ChannelThrottle& throttle) {
  if (outcome.throttle_channel) {
    throttle.PauseUntil(now + (outcome.retry_after ? *outcome.retry_after : BackoffCeiling(policy, attempts)));
  }
  RetryPlan plan;
  if (Exhausted(policy, attempts)) {
    plan.exhausted = true;
    return plan;
  }
  const auto delay = outcome.retry_after ? *outcome.retry_after : BackoffDelay(policy, attempts, random);
  const MonoTime own = now + delay;
  const MonoTime channel = throttle.NotBefore(now);
  plan.not_before = own > channel ? own : channel;
  return plan;
}

}  // namespace herald::sidecar
