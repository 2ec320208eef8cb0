#pragma once
// Runs the operator: informers feed two work queues (channels, templates);
// worker threads reconcile one key at a time; a periodic resync re-queues
// everything so drift (a child edited or deleted by hand) is reverted. With
// leader election, only the Lease holder runs informers and reconcilers.
#include <prometheus/registry.h>

#include <chrono>
#include <memory>
#include <stop_token>
#include <string>

#include "kube/client.h"
#include "operator/core/settings.h"
#include "operator/kafka/topic_admin.h"
#include "runtime/leader_election.h"

namespace herald::controller {

struct ManagerOptions {
  op::OperatorSettings settings;
  std::string watch_namespace;  // "" = all namespaces
  std::chrono::seconds resync{300};
  // Channels reconciled at once (controller-runtime's MaxConcurrentReconciles).
  // Several at once is also what lets Kafka admin calls batch (see below).
  int channel_workers = 8;
  // Kafka admin calls of concurrent reconciles are merged into one request
  // when they arrive within this window (kafka/batching_topic_admin.h).
  std::chrono::milliseconds kafka_batch_window{50};
  size_t kafka_batch_max_topics = 1000;
  // Kubernetes Events waiting to be posted at most; more are dropped (and
  // counted): at a thousand new channels the API server is better spent on
  // the channels than on notes about them.
  size_t event_queue_capacity = 256;
  bool leader_elect = false;
  runtime::LeaderElectionConfig leader;
};

class Manager {
 public:
  Manager(kube::Client& client, kafka::TopicAdmin& topics, ManagerOptions options,
          std::shared_ptr<prometheus::Registry> registry);
  ~Manager();
  // Runs until a stop is requested; returns 0 after a clean shutdown, 1 when
  // leadership was lost.
  int Run(std::stop_token stop);
  // "" when ready: informers synced (or standing by as a non-leader).
  std::string Readiness() const;
  std::string Liveness() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace herald::controller
