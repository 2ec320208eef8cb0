#pragma once
// Messages waiting for their next attempt, ordered by when they may go. A
// retrying message sits here instead of holding a dispatch slot, so it never
// blocks the others; the event loop sleeps until NextDue() (or the next
// fetch) and takes what PopDue() returns.
//
// A template so the dispatcher stores its own message type. Items due at the
// same time come out in the order they were pushed. Not thread-safe.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <utility>
#include <vector>

#include "sidecar/core/types.h"

namespace herald::sidecar {

template <typename T>
class RetryQueue {
 public:
  // Queues `item` to be returned by PopDue once `due` has come.
  void Push(MonoTime due, T item) {
    heap_.push_back({due, seq_++, std::move(item)});
    std::push_heap(heap_.begin(), heap_.end(), Later{});
  }

  // Returns up to `max` items whose due time is at or before `now`, earliest
  // first; empty when none is due.
  [[nodiscard]] std::vector<T> PopDue(MonoTime now, size_t max = std::numeric_limits<size_t>::max()) {
    std::vector<T> out;
    while (!heap_.empty() && out.size() < max && heap_.front().due <= now) {
      std::pop_heap(heap_.begin(), heap_.end(), Later{});
      out.push_back(std::move(heap_.back().item));
      heap_.pop_back();
    }
    return out;
  }

  // Returns the earliest due time, or std::nullopt when empty.
  [[nodiscard]] std::optional<MonoTime> NextDue() const {
    if (heap_.empty()) return std::nullopt;
    return heap_.front().due;
  }

  // Removes every item for which `pred(item)` is true (e.g. the messages of
  // a revoked partition: their new owner gets them again) and returns how
  // many were removed.
  template <typename Pred>
  size_t RemoveIf(Pred pred) {
    auto keep_end = std::remove_if(heap_.begin(), heap_.end(), [&](const Entry& e) { return pred(e.item); });
    size_t removed = static_cast<size_t>(heap_.end() - keep_end);
    heap_.erase(keep_end, heap_.end());
    std::make_heap(heap_.begin(), heap_.end(), Later{});
    return removed;
  }

  // Returns every item, earliest first, leaving the queue empty (shutdown:
  // what did not finish is not committed and will be redelivered).
  [[nodiscard]] std::vector<T> TakeAll() { return PopDue(MonoTime::max()); }

  [[nodiscard]] size_t size() const { return heap_.size(); }
  [[nodiscard]] bool empty() const { return heap_.empty(); }

 private:
  struct Entry {
    MonoTime due;
    uint64_t seq;  // push order, to break ties deterministically
    T item;
  };
  // std::*_heap build a max-heap; "later" as less-than puts the earliest on top.
  struct Later {
    bool operator()(const Entry& a, const Entry& b) const { return a.due != b.due ? a.due > b.due : a.seq > b.seq; }
  };

  std::vector<Entry> heap_;
  uint64_t seq_ = 0;
};

}  // namespace herald::sidecar
