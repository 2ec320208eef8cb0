#pragma once
// Duplicate suppression: the globalIds this process already delivered, per
// partition, so a message redelivered after a rebalance or a failed commit
// is not sent twice by the same process. Bounded: each partition keeps its
// last `capacity` ids (oldest forgotten first), since redeliveries come soon
// after the original (the uncommitted tail). This is best effort on top of
// at-least-once, not exactly-once: nothing survives a restart, and a
// partition's memory is dropped on revoke, because another replica owns it
// from then on.
//
// Per partition because a globalId is the record key, so the same id always
// lands on the same partition, and revoking one partition must not touch the
// others. Not thread-safe; the event loop owns it.
#include <cstddef>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "sidecar/core/types.h"

namespace herald::sidecar {

class DedupeCache {
 public:
  // `capacity_per_partition` 0 turns suppression off (nothing is remembered).
  explicit DedupeCache(size_t capacity_per_partition);

  // Returns true when `global_id` was remembered for `tp` and not yet
  // forgotten: do not send it again.
  [[nodiscard]] bool Contains(const TopicPartition& tp, std::string_view global_id) const;

  // Remembers a delivered globalId. Returns true when newly remembered, false
  // when already known (its age is not refreshed: eviction is first in, first
  // out) or when capacity is 0. When the partition is full the oldest id is
  // forgotten.
  bool Remember(const TopicPartition& tp, std::string_view global_id);

  // Forgets everything about `tp` (on revoke). Other partitions keep theirs.
  void Forget(const TopicPartition& tp);

  // Returns how many ids are remembered for `tp`.
  [[nodiscard]] size_t Size(const TopicPartition& tp) const;

 private:
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
  };
  struct Partition {
    // Owns the strings; heterogeneous lookup avoids a copy per Contains.
    std::unordered_set<std::string, Hash, std::equal_to<>> ids;
    // Insertion order as a ring of pointers to the set's keys (node-based:
    // rehashing keeps them valid), so each id is stored once.
    std::vector<const std::string*> ring;
    size_t next = 0;  // ring slot to fill (and evict) next
  };

  size_t capacity_;
  std::map<TopicPartition, Partition> partitions_;
};

}  // namespace herald::sidecar
