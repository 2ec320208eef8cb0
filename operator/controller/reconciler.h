#pragma once
// Reconcilers for NotificationChannel and Template. Each Reconcile reads
// top-down in one fixed order (kubebuilder style): fetch from the informer
// cache (gone: done), finalizer and deletion, ensure each child (built by the
// pure functions in operator/core), then status, written once at the end and
// only when it changed. Idempotent: running it twice changes nothing.
#include <chrono>
#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <string_view>

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

class ChannelReconciler {
 public:
  ChannelReconciler(kube::Client& client, kafka::TopicAdmin& topics, runtime::Store& channels,
                    runtime::Store& templates, op::OperatorSettings settings)
      : client_(client), topics_(topics), channels_(channels), templates_(templates), settings_(std::move(settings)) {}

  // `key` is "namespace/name".
  [[nodiscard]] ReconcileResult Reconcile(const std::string& key);

 private:
  kube::Client& client_;
  kafka::TopicAdmin& topics_;
  runtime::Store& channels_;
  runtime::Store& templates_;
  op::OperatorSettings settings_;
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
  TemplateReconciler(kube::Client& client, runtime::Store& templates, runtime::Store& channels,
                     std::function<void(const std::string&)> requeue_channel)
      : client_(client), templates_(templates), channels_(channels), requeue_channel_(std::move(requeue_channel)) {}

  [[nodiscard]] ReconcileResult Reconcile(const std::string& key);

 private:
  kube::Client& client_;
  runtime::Store& templates_;
  runtime::Store& channels_;
  std::function<void(const std::string&)> requeue_channel_;
};

}  // namespace herald::controller
