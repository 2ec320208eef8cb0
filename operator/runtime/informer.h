#pragma once
// An informer: lists a resource collection, then watches it from the list's
// resourceVersion (with bookmarks), keeping an in-memory cache and calling
// handlers on changes. A 410 Gone (or any watch ERROR) relists; a broken
// connection reconnects with jittered exponential backoff and resumes from
// the last resourceVersion seen. Handlers run on the informer's thread and
// should only enqueue keys.
#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include "kube/client.h"

namespace herald::runtime {

struct InformerHandlers {
  std::function<void(const nlohmann::json&)> on_add;
  std::function<void(const nlohmann::json& old_obj, const nlohmann::json& new_obj)> on_update;
  std::function<void(const nlohmann::json&)> on_delete;
};

// "namespace/name", or "name" for cluster-scoped objects.
[[nodiscard]] std::string ObjectKey(const nlohmann::json& obj);

// The read side of an informer's cache: what reconcilers use, so they can be
// tested against a plain map instead of a running list/watch.
class Store {
 public:
  virtual ~Store() = default;
  [[nodiscard]] virtual std::optional<nlohmann::json> Get(const std::string& key) const = 0;
  [[nodiscard]] virtual std::vector<nlohmann::json> List() const = 0;
  // Visits every cached object without copying it (List copies all of them,
  // which turns a per-reconcile scan into O(N^2) copies at a thousand
  // channels). `visit` must not call back into the store.
  virtual void ForEach(const std::function<void(const nlohmann::json&)>& visit) const = 0;
};

// True when an update changed more than the status (and resourceVersion,
// managedFields): the spec (generation), deletion, finalizers, labels or
// annotations. A reconciler's own status write then does not requeue it.
[[nodiscard]] bool ChangedBeyondStatus(const nlohmann::json& old_obj, const nlohmann::json& new_obj);
// True when the status differs (absent counts as null). With
// ChangedBeyondStatus, it tells a real change from a relist's unchanged copy.
[[nodiscard]] bool StatusChanged(const nlohmann::json& old_obj, const nlohmann::json& new_obj);

class Informer final : public Store {
 public:
  // `collection_path` e.g. /apis/herald.dev/v1alpha1/notificationchannels (all
  // namespaces) or a namespaced collection; `label_selector` may be empty.
  Informer(kube::Client& client, std::string collection_path, std::string label_selector, InformerHandlers handlers);

  // Runs until a stop is requested. Never returns early on errors: it logs
  // and retries.
  void Run(std::stop_token stop);
  // Called once, on the informer's thread, right after HasSynced() becomes
  // true, so a caller can wait for the caches on a condition variable
  // instead of polling HasSynced(). Set it before Run.
  void OnSynced(std::function<void()> notify) { on_synced_ = std::move(notify); }
  // Trims every object before it is cached and handed to the handlers (what
  // controller-runtime calls a cache transform): managedFields are always
  // dropped (nobody reads them and they are often half of an object); a
  // caller may drop more. Set it before Run.
  void SetTransform(std::function<void(nlohmann::json&)> transform) { transform_ = std::move(transform); }

  // True once the first list has been loaded into the cache.
  [[nodiscard]] bool HasSynced() const { return synced_.load(); }
  [[nodiscard]] std::optional<nlohmann::json> Get(const std::string& key) const override;
  [[nodiscard]] std::vector<nlohmann::json> List() const override;
  void ForEach(const std::function<void(const nlohmann::json&)>& visit) const override;
  // Counts relists after the first (for tests and metrics).
  [[nodiscard]] int Relists() const { return relists_.load(); }

 private:
  // Returns the resourceVersion to watch from, or "" on failure.
  std::string ListAndReplace();
  // Returns false when a relist is needed (410/ERROR), true to resume watching.
  bool WatchOnce(std::string* resource_version, const std::stop_token& stop, bool* broken);
  void Apply(const std::string& type, nlohmann::json obj);
  void Trim(nlohmann::json& obj) const;

  kube::Client& client_;
  std::string path_;
  std::string selector_;
  InformerHandlers handlers_;
  std::function<void(nlohmann::json&)> transform_;
  std::function<void()> on_synced_;
  mutable std::mutex mu_;
  std::map<std::string, nlohmann::json> cache_;
  std::atomic<bool> synced_{false};
  std::atomic<int> relists_{0};
};

}  // namespace herald::runtime
