#pragma once
// Reconcilers for NotificationChannel and Template. Each Reconcile reads
// top-down in one fixed order (kubebuilder style): fetch from the informer
// cache (gone: done), finalizer and deletion, ensure each child (built by the
// pure functions in operator/core), then status, written once at the end and
// only when it changed. Idempotent: running it twice changes nothing.
//
// Incremental: most passes over a channel are triggered by its Deployment
// rolling out, its own finalizer, or its Template's status, and have nothing
// to change. The channel reconciler remembers, per channel, what this process
// last applied (hashes of the desired topics, child objects and status, the
// Deployment's generation and ConfigMap's resourceVersion it got back); a
// pass whose desired state hashes the same and whose children are in the
// informer caches as applied is observe-only: no server-side applies, no
// Kafka calls, only a status write when the status changes. Kafka is not
// watched, so a topic changed behind Herald's back is seen at the next
// resync (ForgetAll) or spec change.
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>

#include "controller/event_poster.h"
#include "kube/client.h"
#include "operator/core/settings.h"
#include "operator/kafka/topic_admin.h"
#include "runtime/informer.h"

namespace herald::controller {

struct ReconcileResult {
  bool ok = true;
  std::string error;                           // when !ok: logged, counted, and the key is retried with backoff
  std::chrono::milliseconds requeue_after{0};  // >0: look again later even on success
};

// The informer caches of the children, when there are informers: passes
// with nothing to apply read the Deployment from here instead of the API
// server, and check that the children are still as this process applied them.
// Without them (nullptr) every pass applies the children.
struct ChildCaches {
  const runtime::Store* deployments = nullptr;  // needs metadata, spec.replicas and status
  const runtime::Store* configmaps = nullptr;   // needs metadata
};

class ChannelReconciler {
 public:
  // `events` may be null: Events are then POSTed synchronously.
  ChannelReconciler(kube::Client& client, kafka::TopicAdmin& topics, runtime::Store& channels,
                    runtime::Store& templates, op::OperatorSettings settings, ChildCaches children = {},
                    EventSink* events = nullptr)
      : client_(client),
        topics_(topics),
        channels_(channels),
        templates_(templates),
        settings_(std::move(settings)),
        children_(children),
        sync_events_(client),
        events_(events != nullptr ? *events : sync_events_) {}

  // `key` is "namespace/name".
  [[nodiscard]] ReconcileResult Reconcile(const std::string& key);

  // Forgets what was applied, so the next pass over every channel applies
  // its children and checks its topics again (the periodic resync: drift
  // nobody told us about, a topic changed on the broker).
  void ForgetAll();
  // Channels with remembered state (for tests).
  [[nodiscard]] size_t Remembered() const;

  // What this process last did for one channel. Small on purpose (it is kept
  // for every channel): hashes and the few observed numbers the status needs,
  // never the topics' configs or the child objects themselves.
  struct Memory {
    size_t topics_hash = 0;  // desired topic specs last ensured without error; 0: none
    int32_t topic_partitions = 0, topic_replication = 0, dlq_partitions = 0, dlq_replication = 0;
    size_t children_hash = 0;  // desired children last applied without error; 0: none
    int64_t deployment_generation = 0;
    std::string configmap_version;
    size_t status_hash = 0;      // the status object last written
    std::string status_version;  // the channel's resourceVersion that write returned
    // type=status/reason@lastTransitionTime of the conditions last written,
    // ";"-joined: a pass that reads a cache not yet showing that write
    // compares and merges with them, and posts one Event per transition, not
    // one per pass.
    std::string condition_states;
  };

 private:
  kube::Client& client_;
  kafka::TopicAdmin& topics_;
  runtime::Store& channels_;
  runtime::Store& templates_;
  op::OperatorSettings settings_;
  ChildCaches children_;
  SyncEventSink sync_events_;
  EventSink& events_;
  mutable std::mutex memory_mu_;
  std::unordered_map<std::string, Memory> memory_;
  uint64_t memory_epoch_ = 0;  // counts ForgetAll calls
  // Optional children (HPA, PDB) this process saw deleted or absent, so a
  // channel without them is not sent a DELETE on every reconcile. Cleared
  // when the child is applied; a restart forgets it and checks again.
  class AbsentChildren {
   public:
    bool Known(std::string_view kind, const std::string& ns, const std::string& name) const {
      std::lock_guard lock(mu_);
      return set_.count(Key(kind, ns, name)) > 0;
    }
    void Remember(std::string_view kind, const std::string& ns, const std::string& name) {
      std::lock_guard lock(mu_);
      set_.insert(Key(kind, ns, name));
    }
    void Forget(std::string_view kind, const std::string& ns, const std::string& name) {
      std::lock_guard lock(mu_);
      set_.erase(Key(kind, ns, name));
    }

   private:
    static std::string Key(std::string_view kind, const std::string& ns, const std::string& name) {
      return std::string(kind) + "/" + ns + "/" + name;
    }
    mutable std::mutex mu_;
    std::set<std::string> set_;
  };
  AbsentChildren absent_;
};

class TemplateReconciler {
 public:
  // `requeue_channel` is called with the key of every channel that uses the template.
  // `events` may be null: Events are then POSTed synchronously.
  TemplateReconciler(kube::Client& client, runtime::Store& templates, runtime::Store& channels,
                     std::function<void(const std::string&)> requeue_channel, EventSink* events = nullptr)
      : client_(client),
        templates_(templates),
        channels_(channels),
        requeue_channel_(std::move(requeue_channel)),
        sync_events_(client),
        events_(events != nullptr ? *events : sync_events_) {}

  [[nodiscard]] ReconcileResult Reconcile(const std::string& key);

 private:
  kube::Client& client_;
  runtime::Store& templates_;
  runtime::Store& channels_;
  std::function<void(const std::string&)> requeue_channel_;
  SyncEventSink sync_events_;
  EventSink& events_;
};

}  // namespace herald::controller
