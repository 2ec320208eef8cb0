#include "sidecar/core/offset_tracker.h"

#include <algorithm>
#include <sstream>
#include <string>

namespace herald::sidecar {
namespace {

std::string Describe(const TopicPartition& tp, int64_t offset) {
  std::ostringstream os;
  os << tp << '@' << offset;
  return os.str();
}

}  // namespace

OffsetTracker::OffsetTracker(size_t max_in_flight, size_t max_uncommitted)
    : max_in_flight_(std::max<size_t>(max_in_flight, 1)), max_uncommitted_(std::max(max_uncommitted, max_in_flight_)) {}

Status OffsetTracker::Assign(const TopicPartition& tp) {
  auto [it, inserted] = partitions_.try_emplace(tp);
  if (!inserted) {
    std::ostringstream os;
    os << "partition " << tp << " is already assigned";
    return Error{os.str()};
  }
  return OkStatus();
}

std::optional<int64_t> OffsetTracker::Revoke(const TopicPartition& tp) {
  auto it = partitions_.find(tp);
  if (it == partitions_.end()) return std::nullopt;
  std::optional<int64_t> result;
  if (Changed(tp)) result = CommittableOf(it->second);
  in_flight_ -= it->second.pending;
  uncommitted_ -= it->second.window.size();
  partitions_.erase(it);
  return result;
}

Status OffsetTracker::Track(const TopicPartition& tp, int64_t offset) {
  auto it = partitions_.find(tp);
  if (it == partitions_.end()) return Error{"track " + Describe(tp, offset) + ": partition not assigned"};
  PartitionState& s = it->second;
  if (offset < 0) return Error{"track " + Describe(tp, offset) + ": negative offset"};
  if (s.last_tracked && offset <= *s.last_tracked) {
    return Error{"track " + Describe(tp, offset) + ": not above last tracked offset " +
                 std::to_string(*s.last_tracked)};
  }
  s.window.push_back({offset, false});
  s.last_tracked = offset;
  ++s.pending;
  ++in_flight_;
  ++uncommitted_;
  return OkStatus();
}

Status OffsetTracker::MarkDone(const TopicPartition& tp, int64_t offset) {
  auto it = partitions_.find(tp);
  if (it == partitions_.end()) return Error{"done " + Describe(tp, offset) + ": partition not assigned"};
  PartitionState& s = it->second;
  // The window is sorted by offset because Track only accepts increasing ones.
  auto e = std::lower_bound(s.window.begin(), s.window.end(), offset,
                            [](const Entry& a, int64_t o) { return a.offset < o; });
  if (e == s.window.end() || e->offset != offset || e->done) {
    return Error{"done " + Describe(tp, offset) + ": offset is not pending"};
  }
  e->done = true;
  --s.pending;
  --in_flight_;
  while (!s.window.empty() && s.window.front().done) {
    s.window.pop_front();
    --uncommitted_;
  }
  return OkStatus();
}

std::optional<int64_t> OffsetTracker::CommittableOf(const PartitionState& s) {
  if (!s.window.empty()) return s.window.front().offset;
  if (s.last_tracked) return *s.last_tracked + 1;
  return std::nullopt;
}

std::optional<int64_t> OffsetTracker::Committable(const TopicPartition& tp) const {
  auto it = partitions_.find(tp);
  if (it == partitions_.end()) return std::nullopt;
  return CommittableOf(it->second);
}

bool OffsetTracker::Changed(const TopicPartition& tp) const {
  auto it = partitions_.find(tp);
  if (it == partitions_.end()) return false;
  auto next = CommittableOf(it->second);
  return next.has_value() && next != it->second.committed;
}

std::vector<CommitOffset> OffsetTracker::CommitsDue() const {
  std::vector<CommitOffset> out;
  for (const auto& [tp, s] : partitions_) {
    auto next = CommittableOf(s);
    if (next && next != s.committed) out.push_back({tp, *next});
  }
  return out;
}

void OffsetTracker::MarkCommitted(const TopicPartition& tp, int64_t offset) {
  auto it = partitions_.find(tp);
  if (it == partitions_.end()) return;
  auto& committed = it->second.committed;
  if (!committed || offset > *committed) committed = offset;
}

size_t OffsetTracker::InFlight(const TopicPartition& tp) const {
  auto it = partitions_.find(tp);
  return it == partitions_.end() ? 0 : it->second.pending;
}

bool OffsetTracker::ShouldPauseFetching(bool paused_now) const {
  if (!paused_now) return in_flight_ >= max_in_flight_ || uncommitted_ >= max_uncommitted_;
  return in_flight_ > max_in_flight_ * 3 / 4 || uncommitted_ > max_uncommitted_ * 3 / 4;
}

std::vector<TopicPartition> OffsetTracker::Assigned() const {
  std::vector<TopicPartition> out;
  out.reserve(partitions_.size());
  for (const auto& [tp, s] : partitions_) out.push_back(tp);
  return out;
}

}  // namespace herald::sidecar
