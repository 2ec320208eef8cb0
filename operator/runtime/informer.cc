#include "runtime/informer.h"

#include <chrono>
#include <random>

#include "herald/log.h"
#include "runtime/stop.h"

namespace herald::runtime {
namespace {

std::chrono::milliseconds Jittered(std::chrono::milliseconds base) {
  static thread_local std::mt19937 rng{std::random_device{}()};
  std::uniform_real_distribution<double> f(0.5, 1.5);
  return std::chrono::milliseconds(static_cast<int64_t>(static_cast<double>(base.count()) * f(rng)));
}

// The member `key` of `obj`, or null when `obj` is no object or lacks it.
const nlohmann::json& MemberOrNull(const nlohmann::json& obj, const char* key) {
  static const nlohmann::json kNone;
  if (!obj.is_object()) return kNone;
  auto it = obj.find(key);
  return it == obj.end() ? kNone : *it;
}

}  // namespace

std::string ObjectKey(const nlohmann::json& obj) {
  const auto& meta = obj.value("metadata", nlohmann::json::object());
  std::string ns = meta.value("namespace", "");
  std::string name = meta.value("name", "");
  return ns.empty() ? name : ns + "/" + name;
}

Informer::Informer(kube::Client& client, std::string collection_path, std::string label_selector,
                   InformerHandlers handlers)
    : client_(client),
      path_(std::move(collection_path)),
      selector_(std::move(label_selector)),
      handlers_(std::move(handlers)) {}

std::optional<nlohmann::json> Informer::Get(const std::string& key) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = cache_.find(key);
  if (it == cache_.end()) return std::nullopt;
  return it->second;
}

std::vector<nlohmann::json> Informer::List() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<nlohmann::json> out;
  out.reserve(cache_.size());
  for (const auto& [k, v] : cache_) out.push_back(v);
  return out;
}

void Informer::ForEach(const std::function<void(const nlohmann::json&)>& visit) const {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [k, v] : cache_) visit(v);
}

bool ChangedBeyondStatus(const nlohmann::json& old_obj, const nlohmann::json& new_obj) {
  const auto& a = MemberOrNull(old_obj, "metadata");
  const auto& b = MemberOrNull(new_obj, "metadata");
  for (const char* field : {"generation", "deletionTimestamp", "finalizers", "labels", "annotations"}) {
    if (MemberOrNull(a, field) != MemberOrNull(b, field)) return true;
  }
  return false;
}

bool StatusChanged(const nlohmann::json& old_obj, const nlohmann::json& new_obj) {
  return MemberOrNull(old_obj, "status") != MemberOrNull(new_obj, "status");
}

std::string Informer::ListAndReplace() {
  auto list = kube::ListAll(client_, path_, selector_);
  if (!list) {
    log::Warn("list failed", {{"resource", path_}, {"error", list.error()}});
    return "";
  }
  std::map<std::string, nlohmann::json> fresh;
  for (auto& item : list->items) {
    Trim(item);
    fresh.emplace(ObjectKey(item), std::move(item));
  }
  std::vector<nlohmann::json> added, deleted;
  std::vector<std::pair<nlohmann::json, nlohmann::json>> updated;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [k, v] : cache_) {
      if (!fresh.count(k)) deleted.push_back(v);
    }
    for (const auto& [k, v] : fresh) {
      auto it = cache_.find(k);
      if (it == cache_.end()) {
        added.push_back(v);
      } else {
        updated.emplace_back(it->second, v);
      }
    }
    cache_ = std::move(fresh);
  }
  // Handlers are called outside the lock: they may read the cache.
  for (const auto& o : deleted) {
    if (handlers_.on_delete) handlers_.on_delete(o);
  }
  for (const auto& o : added) {
    if (handlers_.on_add) handlers_.on_add(o);
  }
  for (const auto& [o, n] : updated) {
    if (handlers_.on_update) handlers_.on_update(o, n);
  }
  if (!synced_.exchange(true) && on_synced_) on_synced_();
  return list->resource_version;
}

void Informer::Trim(nlohmann::json& obj) const {
  if (auto m = obj.find("metadata"); m != obj.end() && m->is_object()) m->erase("managedFields");
  if (transform_) transform_(obj);
}

void Informer::Apply(const std::string& type, nlohmann::json obj) {
  Trim(obj);
  std::string key = ObjectKey(obj);
  std::optional<nlohmann::json> old;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = cache_.find(key);
    if (it != cache_.end()) old = it->second;
    if (type == "DELETED") {
      cache_.erase(key);
    } else {
      cache_[key] = obj;
    }
  }
  if (type == "DELETED") {
    if (handlers_.on_delete) handlers_.on_delete(obj);
  } else if (old) {
    if (handlers_.on_update) handlers_.on_update(*old, obj);
  } else if (handlers_.on_add) {
    handlers_.on_add(obj);
  }
}

bool Informer::WatchOnce(std::string* rv, const std::stop_token& stop, bool* broken) {
  std::string q =
      path_ + "?watch=1&allowWatchBookmarks=true&timeoutSeconds=300&resourceVersion=" + kube::UrlEncode(*rv);
  if (!selector_.empty()) q += "&labelSelector=" + kube::UrlEncode(selector_);
  bool need_relist = false;
  auto st = client_.Watch(
      q,
      [&](const kube::WatchEvent& ev) {
        if (ev.type == "ERROR") {
          // 410 Gone: our resourceVersion was compacted away.
          log::Info(
              "watch expired, relisting",
              {{"resource", path_}, {"code", ev.object.value("code", 0)}, {"reason", ev.object.value("reason", "")}});
          need_relist = true;
          return false;
        }
        std::string new_rv = ev.object.value("metadata", nlohmann::json::object()).value("resourceVersion", "");
        if (!new_rv.empty()) *rv = new_rv;
        if (ev.type != "BOOKMARK") Apply(ev.type, ev.object);
        return !stop.stop_requested();
      },
      stop);
  *broken = false;
  if (!st.ok()) {
    if (st.error().find("HTTP 410") != std::string::npos) {
      log::Info("watch expired, relisting", {{"resource", path_}, {"code", 410}});
      return false;
    }
    log::Warn("watch failed", {{"resource", path_}, {"error", st.error()}});
    *broken = true;
  }
  return !need_relist;
}

void Informer::Run(std::stop_token stop) {
  std::chrono::milliseconds backoff{200};
  const std::chrono::milliseconds max_backoff{30000};
  std::string rv;
  while (!stop.stop_requested()) {
    if (rv.empty()) {
      bool first = !synced_.load();
      rv = ListAndReplace();
      if (!first && !rv.empty()) {
        relists_++;
        log::Info("relisted", {{"resource", path_}, {"resourceVersion", rv}, {"relists", relists_.load()}});
      }
      if (rv.empty()) {
        WaitForStop(stop, Jittered(backoff));
        backoff = std::min(backoff * 2, max_backoff);
        continue;
      }
      // The server answers again: a watch that fails next starts over from a
      // short delay instead of the one grown while the server was away.
      backoff = std::chrono::milliseconds(200);
    }
    bool broken = false;
    if (!WatchOnce(&rv, stop, &broken)) {
      rv.clear();  // relist
      continue;
    }
    if (broken) {
      WaitForStop(stop, Jittered(backoff));
      backoff = std::min(backoff * 2, max_backoff);
    } else {
      backoff = std::chrono::milliseconds(200);
    }
  }
}

}  // namespace herald::runtime
