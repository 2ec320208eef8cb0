#pragma once
// Small value types shared by the sidecar's decision logic. Everything in
// sidecar/core takes time as an explicit argument instead of reading a clock,
// so tests drive time by hand and nothing here sleeps or does I/O.
#include <chrono>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <ostream>
#include <string>

namespace herald::sidecar {

// Monotonic time for scheduling (retries, pauses, rate limits): immune to
// wall-clock jumps. Wall time is only used where a peer sends a calendar date
// (Retry-After: <HTTP-date>).
using MonoClock = std::chrono::steady_clock;
using MonoTime = MonoClock::time_point;
using WallTime = std::chrono::system_clock::time_point;

// A Kafka topic-partition. One sidecar consumes one channel's topic, but the
// topic is kept so the types stay correct if that ever changes.
struct TopicPartition {
  std::string topic;
  int32_t partition = 0;

  friend auto operator<=>(const TopicPartition&, const TopicPartition&) = default;
  friend bool operator==(const TopicPartition&, const TopicPartition&) = default;
};

inline std::ostream& operator<<(std::ostream& os, const TopicPartition& tp) {
  return os << tp.topic << '/' << tp.partition;
}

struct TopicPartitionHash {
  size_t operator()(const TopicPartition& tp) const noexcept {
    return std::hash<std::string>{}(tp.topic) * 31 + std::hash<int32_t>{}(tp.partition);
  }
};

}  // namespace herald::sidecar
