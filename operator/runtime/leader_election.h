#pragma once
// Leader election on a coordination.k8s.io/v1 Lease, with client-go's rules:
// a candidate takes the lease only when its holder has not renewed it for
// leaseDuration as observed on the candidate's own clock (no cross-node clock
// comparison); the leader renews every retryPeriod and steps down if it could
// not renew within renewDeadline; on shutdown the lease is released so a
// standby takes over at once. Updates use resourceVersion (optimistic
// concurrency), so two candidates can never both win.
#include <atomic>
#include <chrono>
#include <functional>
#include <stop_token>
#include <string>

#include "kube/client.h"

namespace herald::runtime {

struct LeaderElectionConfig {
  std::string lease_namespace;
  std::string lease_name = "herald-operator-leader";
  std::string identity;  // unique per process: hostname + random suffix
  std::chrono::milliseconds lease_duration{15000};
  std::chrono::milliseconds renew_deadline{10000};
  std::chrono::milliseconds retry_period{2000};
};

class LeaderElector {
 public:
  LeaderElector(kube::Client& client, LeaderElectionConfig config);

  // Blocks until leadership is acquired (returns true) or a stop is
  // requested (returns false).
  [[nodiscard]] bool Acquire(std::stop_token stop);
  // Renews until a stop is requested (returns true after releasing the lease) or
  // until the lease could not be renewed within renewDeadline (returns false:
  // leadership is lost and the caller must stop reconciling at once).
  [[nodiscard]] bool HoldUntil(std::stop_token stop);
  // Gives the lease up (holder cleared) if we still hold it. Best effort.
  void Release();

  // One attempt to take or renew the lease; true when we hold it afterwards.
  [[nodiscard]] bool TryAcquireOrRenew();
  [[nodiscard]] bool IsLeader() const { return leader_.load(); }
  const LeaderElectionConfig& config() const { return cfg_; }

 private:
  std::string LeasePath(bool with_name) const;

  kube::Client& client_;
  LeaderElectionConfig cfg_;
  std::atomic<bool> leader_{false};
  // What we last saw of someone else's lease, and when we saw it change.
  std::string observed_record_;
  std::chrono::steady_clock::time_point observed_at_{};
};

// RFC 3339 with microseconds, as metav1.MicroTime serialises.
[[nodiscard]] std::string MicroTimeNow();

}  // namespace herald::runtime
