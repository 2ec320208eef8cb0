#pragma once
// Which offsets may be committed. The sidecar's at-least-once promise rests on
// this class: an offset is committed only once every message before it (that
// this process consumed) has a final outcome, however out of order those
// outcomes arrive. It also counts in-flight messages so the consumer can pause
// fetching instead of buffering without limit.
//
// Offsets are tracked as seen: gaps left by compaction or transaction markers
// are never waited for. Not thread-safe; the event loop owns it.
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <vector>

#include "herald/result.h"
#include "sidecar/core/types.h"

namespace herald::sidecar {

// One offset to commit: Kafka's "next offset to read" for that partition.
struct CommitOffset {
  TopicPartition tp;
  int64_t offset = 0;

  friend bool operator==(const CommitOffset&, const CommitOffset&) = default;
};

class OffsetTracker {
 public:
  // `max_in_flight` (at least 1) bounds the messages consumed but not yet
  // finished, across all partitions. `max_uncommitted` (at least
  // max_in_flight) bounds the tracked offsets not yet in a committable
  // prefix: finished messages queued behind one that is still retrying. That
  // second bound caps memory and how much is redelivered after a crash while
  // one message is stuck at the head. Fetching resumes once both counts drop
  // to three quarters of their bound, so the consumer does not flap between
  // pause and resume on every message.
  OffsetTracker(size_t max_in_flight, size_t max_uncommitted);

  // Starts tracking a partition the group gave us. Returns OkStatus, or an
  // error if it is already assigned (its state is then left as it was).
  [[nodiscard]] Status Assign(const TopicPartition& tp);

  // Stops tracking a partition that was revoked or lost. Returns the offset
  // to commit for it before letting go when that offset moved since the last
  // MarkCommitted, else std::nullopt (also when it was not assigned). Pending
  // messages are forgotten: the next owner gets them again.
  [[nodiscard]] std::optional<int64_t> Revoke(const TopicPartition& tp);

  // Records a consumed message that has no final outcome yet. Returns
  // OkStatus, or an error when the partition is not assigned or the offset is
  // not above the last one tracked there (a redelivery of an offset already
  // tracked or finished: do not dispatch it again).
  [[nodiscard]] Status Track(const TopicPartition& tp, int64_t offset);

  // Records that a tracked message has its final outcome (delivered, or dead
  // letter acknowledged). Returns OkStatus, or an error when the partition is
  // not assigned (revoked while the message was in flight: safe to ignore)
  // or the offset is not pending there (never tracked, or already done).
  [[nodiscard]] Status MarkDone(const TopicPartition& tp, int64_t offset);

  // Returns the offset to commit: the lowest pending offset, or the last
  // tracked offset + 1 when none is pending. std::nullopt when the partition
  // is not assigned or nothing was tracked since it was assigned.
  [[nodiscard]] std::optional<int64_t> Committable(const TopicPartition& tp) const;

  // Returns true when Committable(tp) differs from the last MarkCommitted
  // offset (so a commit would move something); false otherwise, including for
  // partitions not assigned.
  [[nodiscard]] bool Changed(const TopicPartition& tp) const;

  // Returns one CommitOffset per assigned partition whose Changed() is true,
  // ordered by topic-partition; empty when there is nothing new to commit.
  [[nodiscard]] std::vector<CommitOffset> CommitsDue() const;

  // Records that the broker acknowledged a commit of `offset`. Commits may be
  // acknowledged out of order, so a lower offset than one already recorded is
  // ignored, as are partitions not assigned.
  void MarkCommitted(const TopicPartition& tp, int64_t offset);

  // Returns the number of tracked messages without a final outcome.
  [[nodiscard]] size_t InFlight() const { return in_flight_; }
  // Returns the same for one partition (0 when not assigned).
  [[nodiscard]] size_t InFlight(const TopicPartition& tp) const;

  // Returns the number of tracked offsets behind the committable point
  // (in-flight ones plus finished ones waiting for an earlier one).
  [[nodiscard]] size_t Uncommitted() const { return uncommitted_; }

  // Returns whether fetching should be paused given whether it is paused
  // now: pause when either bound is reached, resume when both counts have
  // fallen to their resume marks.
  [[nodiscard]] bool ShouldPauseFetching(bool paused_now) const;

  // Returns the assigned partitions, ordered.
  [[nodiscard]] std::vector<TopicPartition> Assigned() const;

 private:
  struct Entry {
    int64_t offset;
    bool done;
  };
  struct PartitionState {
    // Offsets from the lowest pending one upward, in consumption order;
    // finished entries at the front are dropped as soon as they are reached.
    std::deque<Entry> window;
    size_t pending = 0;
    std::optional<int64_t> last_tracked;
    std::optional<int64_t> committed;
  };

  static std::optional<int64_t> CommittableOf(const PartitionState& s);

  size_t max_in_flight_;
  size_t max_uncommitted_;
  size_t in_flight_ = 0;
  size_t uncommitted_ = 0;
  std::map<TopicPartition, PartitionState> partitions_;
};

}  // namespace herald::sidecar
