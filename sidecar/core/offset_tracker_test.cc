#include "sidecar/core/offset_tracker.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <set>
#include <string>
#include <vector>

namespace herald::sidecar {
namespace {

const TopicPartition kP0{"herald.team-a.ops", 0};
const TopicPartition kP1{"herald.team-a.ops", 1};

// One step of a scenario: Track ('t') or MarkDone ('d') an offset.
struct Step {
  char op;
  int64_t offset;
};

void Apply(OffsetTracker& t, const TopicPartition& tp, const std::vector<Step>& steps) {
  for (const auto& s : steps) {
    Status st = s.op == 't' ? t.Track(tp, s.offset) : t.MarkDone(tp, s.offset);
    ASSERT_TRUE(st.ok()) << s.op << s.offset << ": " << st.error();
  }
}

TEST(OffsetTracker, CommittableIsLowestUnfinishedOrLastPlusOne) {
  struct Case {
    const char* name;
    std::vector<Step> steps;
    std::optional<int64_t> want;
    size_t want_in_flight;
  } cases[] = {
      {"nothing consumed", {}, std::nullopt, 0},
      {"one pending", {{'t', 0}}, 0, 1},
      {"in order", {{'t', 0}, {'t', 1}, {'d', 0}}, 1, 1},
      {"all done", {{'t', 0}, {'t', 1}, {'d', 0}, {'d', 1}}, 2, 0},
      {"later done first", {{'t', 0}, {'t', 1}, {'t', 2}, {'d', 2}, {'d', 1}}, 0, 1},
      {"head finishes last", {{'t', 0}, {'t', 1}, {'t', 2}, {'d', 2}, {'d', 1}, {'d', 0}}, 3, 0},
      {"middle pending", {{'t', 0}, {'t', 1}, {'t', 2}, {'d', 0}, {'d', 2}}, 1, 1},
      {"gaps: waits for the next seen offset", {{'t', 5}, {'t', 7}, {'t', 10}, {'d', 5}}, 7, 2},
      {"gaps: later done", {{'t', 5}, {'t', 7}, {'t', 10}, {'d', 5}, {'d', 10}}, 7, 1},
      {"gaps: all done", {{'t', 5}, {'t', 7}, {'t', 10}, {'d', 7}, {'d', 10}, {'d', 5}}, 11, 0},
      {"starts mid-log", {{'t', 1000}, {'d', 1000}}, 1001, 0},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    OffsetTracker t(100, 1000);
    ASSERT_TRUE(t.Assign(kP0).ok());
    Apply(t, kP0, c.steps);
    EXPECT_EQ(t.Committable(kP0), c.want);
    EXPECT_EQ(t.InFlight(), c.want_in_flight);
    EXPECT_EQ(t.InFlight(kP0), c.want_in_flight);
  }
}

TEST(OffsetTracker, TrackRejects) {
  struct Case {
    const char* name;
    TopicPartition tp;
    std::vector<Step> before;
    int64_t offset;
  } cases[] = {
      {"unassigned partition", kP1, {}, 0},
      {"same offset again", kP0, {{'t', 4}}, 4},
      {"same offset after done", kP0, {{'t', 4}, {'d', 4}}, 4},
      {"lower offset", kP0, {{'t', 4}, {'t', 6}}, 5},
      {"negative offset", kP0, {}, -1},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    OffsetTracker t(100, 1000);
    ASSERT_TRUE(t.Assign(kP0).ok());
    Apply(t, kP0, c.before);
    auto before = t.Committable(kP0);
    size_t in_flight = t.InFlight();
    Status st = t.Track(c.tp, c.offset);
    ASSERT_FALSE(st.ok());
    EXPECT_FALSE(st.error().empty());
    EXPECT_EQ(t.Committable(kP0), before);
    EXPECT_EQ(t.InFlight(), in_flight);
  }
}

TEST(OffsetTracker, MarkDoneRejects) {
  struct Case {
    const char* name;
    TopicPartition tp;
    std::vector<Step> before;
    int64_t offset;
  } cases[] = {
      {"unassigned partition", kP1, {{'t', 1}}, 1},
      {"never tracked (gap)", kP0, {{'t', 1}, {'t', 3}}, 2},
      {"beyond last tracked", kP0, {{'t', 1}}, 2},
      {"below window", kP0, {{'t', 1}, {'t', 2}, {'d', 1}}, 0},
      {"done twice (head)", kP0, {{'t', 1}, {'t', 2}, {'d', 1}}, 1},
      {"done twice (inside window)", kP0, {{'t', 1}, {'t', 2}, {'d', 2}}, 2},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    OffsetTracker t(100, 1000);
    ASSERT_TRUE(t.Assign(kP0).ok());
    Apply(t, kP0, c.before);
    auto before = t.Committable(kP0);
    size_t in_flight = t.InFlight();
    EXPECT_FALSE(t.MarkDone(c.tp, c.offset).ok());
    EXPECT_EQ(t.Committable(kP0), before);
    EXPECT_EQ(t.InFlight(), in_flight);
  }
}

TEST(OffsetTracker, AssignTwiceKeepsState) {
  OffsetTracker t(10, 10);
  ASSERT_TRUE(t.Assign(kP0).ok());
  ASSERT_TRUE(t.Track(kP0, 3).ok());
  EXPECT_FALSE(t.Assign(kP0).ok());
  EXPECT_EQ(t.Committable(kP0), 3);
  EXPECT_EQ(t.InFlight(), 1u);
}

TEST(OffsetTracker, ChangedAndCommitsDueFollowCommits) {
  OffsetTracker t(10, 100);
  ASSERT_TRUE(t.Assign(kP1).ok());
  ASSERT_TRUE(t.Assign(kP0).ok());
  EXPECT_FALSE(t.Changed(kP0));  // nothing consumed: nothing to commit
  EXPECT_TRUE(t.CommitsDue().empty());

  ASSERT_TRUE(t.Track(kP0, 10).ok());
  ASSERT_TRUE(t.Track(kP1, 20).ok());
  // A pending head is still a commit: it records where this process got to.
  EXPECT_TRUE(t.Changed(kP0));
  EXPECT_EQ(t.CommitsDue(), (std::vector<CommitOffset>{{kP0, 10}, {kP1, 20}}));

  t.MarkCommitted(kP0, 10);
  t.MarkCommitted(kP1, 20);
  EXPECT_FALSE(t.Changed(kP0));
  EXPECT_TRUE(t.CommitsDue().empty());

  ASSERT_TRUE(t.MarkDone(kP1, 20).ok());
  EXPECT_FALSE(t.Changed(kP0));
  EXPECT_TRUE(t.Changed(kP1));
  EXPECT_EQ(t.CommitsDue(), (std::vector<CommitOffset>{{kP1, 21}}));

  // Acks can arrive out of order: an older one must not make 21 look new.
  t.MarkCommitted(kP1, 21);
  t.MarkCommitted(kP1, 20);
  EXPECT_FALSE(t.Changed(kP1));
  EXPECT_FALSE(t.Changed(TopicPartition{"other", 0}));
}

TEST(OffsetTracker, RevokeReturnsWhatCanBeCommittedThenForgets) {
  struct Case {
    const char* name;
    std::vector<Step> steps;
    std::optional<int64_t> committed;
    std::optional<int64_t> want;
  } cases[] = {
      {"nothing consumed", {}, std::nullopt, std::nullopt},
      {"finished prefix", {{'t', 0}, {'t', 1}, {'t', 2}, {'d', 0}, {'d', 2}}, std::nullopt, 1},
      {"all done", {{'t', 0}, {'t', 1}, {'d', 1}, {'d', 0}}, std::nullopt, 2},
      {"already committed", {{'t', 0}, {'d', 0}}, 1, std::nullopt},
      {"moved since commit", {{'t', 0}, {'d', 0}, {'t', 1}, {'d', 1}}, 1, 2},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    OffsetTracker t(100, 1000);
    ASSERT_TRUE(t.Assign(kP0).ok());
    ASSERT_TRUE(t.Assign(kP1).ok());
    ASSERT_TRUE(t.Track(kP1, 7).ok());
    Apply(t, kP0, c.steps);
    if (c.committed) t.MarkCommitted(kP0, *c.committed);
    EXPECT_EQ(t.Revoke(kP0), c.want);
    // State is gone: no offsets, no in-flight count, late completions refused.
    EXPECT_EQ(t.Committable(kP0), std::nullopt);
    EXPECT_EQ(t.InFlight(kP0), 0u);
    EXPECT_EQ(t.InFlight(), 1u);  // kP1's message
    EXPECT_EQ(t.Uncommitted(), 1u);
    EXPECT_FALSE(t.MarkDone(kP0, 1).ok());
    EXPECT_EQ(t.Assigned(), std::vector<TopicPartition>{kP1});
    EXPECT_EQ(t.Revoke(kP0), std::nullopt);
  }
}

TEST(OffsetTracker, ReassignStartsFresh) {
  OffsetTracker t(10, 100);
  ASSERT_TRUE(t.Assign(kP0).ok());
  ASSERT_TRUE(t.Track(kP0, 50).ok());
  ASSERT_TRUE(t.Track(kP0, 51).ok());
  EXPECT_EQ(t.Revoke(kP0), 50);
  ASSERT_TRUE(t.Assign(kP0).ok());
  // The group rewinds to the committed offset; the same offsets come back.
  ASSERT_TRUE(t.Track(kP0, 50).ok());
  EXPECT_EQ(t.Committable(kP0), 50);
  EXPECT_EQ(t.InFlight(), 1u);
}

TEST(OffsetTracker, ShouldPauseFetchingHasHysteresis) {
  // max_in_flight 8: pause at 8, resume at 6 or fewer. max_uncommitted 16:
  // pause at 16, resume at 12 or fewer.
  struct Case {
    const char* name;
    int pending;      // tracked and not done, at the tail
    int done_behind;  // done, behind one stuck head offset (adds uncommitted)
    bool paused_now;
    bool want_paused;
  } cases[] = {
      {"empty, running", 0, 0, false, false},
      {"below max", 7, 0, false, false},
      {"at max", 8, 0, false, true},
      {"paused, still above resume mark", 7, 0, true, true},
      {"paused, at resume mark", 6, 0, true, false},
      {"stuck head, uncommitted at max", 1, 15, false, true},
      {"stuck head, below uncommitted max", 1, 14, false, false},
      {"paused, uncommitted above its resume mark", 1, 12, true, true},
      {"paused, uncommitted at its resume mark", 1, 11, true, false},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    OffsetTracker t(8, 16);
    ASSERT_TRUE(t.Assign(kP0).ok());
    int64_t next = 0;
    if (c.done_behind > 0) {
      ASSERT_TRUE(t.Track(kP0, next++).ok());  // the stuck head, counted in `pending`
      for (int i = 0; i < c.done_behind; ++i) {
        ASSERT_TRUE(t.Track(kP0, next).ok());
        ASSERT_TRUE(t.MarkDone(kP0, next++).ok());
      }
      for (int i = 1; i < c.pending; ++i) ASSERT_TRUE(t.Track(kP0, next++).ok());
    } else {
      for (int i = 0; i < c.pending; ++i) ASSERT_TRUE(t.Track(kP0, next++).ok());
    }
    EXPECT_EQ(t.InFlight(), static_cast<size_t>(c.pending));
    EXPECT_EQ(t.ShouldPauseFetching(c.paused_now), c.want_paused);
  }
}

TEST(OffsetTracker, UncommittedShrinksAsThePrefixCompletes) {
  OffsetTracker t(10, 100);
  ASSERT_TRUE(t.Assign(kP0).ok());
  Apply(t, kP0, {{'t', 0}, {'t', 1}, {'t', 2}, {'d', 1}, {'d', 2}});
  EXPECT_EQ(t.Uncommitted(), 3u);
  EXPECT_EQ(t.InFlight(), 1u);
  Apply(t, kP0, {{'d', 0}});
  EXPECT_EQ(t.Uncommitted(), 0u);
  EXPECT_EQ(t.Committable(kP0), 3);
}

// Random completion orders against a brute-force model: the committable
// offset is never past an unfinished offset and always as far as allowed.
TEST(OffsetTracker, MatchesModelUnderRandomCompletionOrder) {
  std::mt19937 rng(12345);
  for (int round = 0; round < 200; ++round) {
    OffsetTracker t(1000, 1000);
    ASSERT_TRUE(t.Assign(kP0).ok());
    std::vector<int64_t> offsets;
    int64_t o = rng() % 5;
    for (int i = 0; i < 30; ++i) {
      offsets.push_back(o);
      o += 1 + rng() % 3;  // gaps of 0..2 offsets
    }
    std::set<int64_t> unfinished;
    std::vector<int64_t> order = offsets;
    std::shuffle(order.begin(), order.end(), rng);
    size_t tracked = 0;
    for (int64_t done : order) {
      // Track lazily so completions interleave with consumption.
      while (tracked < offsets.size() && offsets[tracked] <= done) {
        ASSERT_TRUE(t.Track(kP0, offsets[tracked]).ok());
        unfinished.insert(offsets[tracked++]);
      }
      ASSERT_TRUE(t.MarkDone(kP0, done).ok());
      unfinished.erase(done);
      int64_t want = unfinished.empty() ? offsets[tracked - 1] + 1 : *unfinished.begin();
      ASSERT_EQ(t.Committable(kP0), want) << "round " << round;
      ASSERT_EQ(t.InFlight(), unfinished.size());
    }
  }
}

}  // namespace
}  // namespace herald::sidecar
