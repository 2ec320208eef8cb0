#include "sidecar/core/dedupe.h"

namespace herald::sidecar {

DedupeCache::DedupeCache(size_t capacity_per_partition) : capacity_(capacity_per_partition) {}

bool DedupeCache::Contains(const TopicPartition& tp, std::string_view global_id) const {
  auto it = partitions_.find(tp);
  return it != partitions_.end() && it->second.ids.find(global_id) != it->second.ids.end();
}

bool DedupeCache::Remember(const TopicPartition& tp, std::string_view global_id) {
  if (capacity_ == 0) return false;
  Partition& p = partitions_[tp];
  if (p.ids.find(global_id) != p.ids.end()) return false;
  if (p.ring.size() == capacity_) {
    // Full: the slot to fill holds the oldest id.
    // Erase through an iterator: the key argument would alias the node.
    p.ids.erase(p.ids.find(*p.ring[p.next]));
  }
  const std::string* key = &*p.ids.emplace(global_id).first;
  if (p.ring.size() < capacity_) {
    p.ring.push_back(key);
  } else {
    p.ring[p.next] = key;
  }
  p.next = (p.next + 1) % capacity_;
  return true;
}

void DedupeCache::Forget(const TopicPartition& tp) { partitions_.erase(tp); }

size_t DedupeCache::Size(const TopicPartition& tp) const {
  auto it = partitions_.find(tp);
  return it == partitions_.end() ? 0 : it->second.ids.size();
}

}  // namespace herald::sidecar
