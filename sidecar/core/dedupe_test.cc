#include "sidecar/core/dedupe.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace herald::sidecar {
namespace {

const TopicPartition kP0{"t", 0};
const TopicPartition kP1{"t", 1};

TEST(DedupeCache, RemembersUpToCapacityFirstInFirstOut) {
  struct Case {
    const char* name;
    size_t capacity;
    std::vector<std::string> remember;
    std::vector<std::string> want_present;
    std::vector<std::string> want_absent;
  } cases[] = {
      {"empty", 3, {}, {}, {"a"}},
      {"under capacity", 3, {"a", "b"}, {"a", "b"}, {"c"}},
      {"at capacity", 3, {"a", "b", "c"}, {"a", "b", "c"}, {}},
      {"evicts oldest", 3, {"a", "b", "c", "d"}, {"b", "c", "d"}, {"a"}},
      {"wraps the ring twice", 2, {"a", "b", "c", "d", "e"}, {"d", "e"}, {"a", "b", "c"}},
      {"duplicate does not refresh", 2, {"a", "b", "a", "c"}, {"b", "c"}, {"a"}},
      {"capacity one", 1, {"a", "b"}, {"b"}, {"a"}},
      {"capacity zero remembers nothing", 0, {"a"}, {}, {"a"}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    DedupeCache d(c.capacity);
    for (const auto& id : c.remember) d.Remember(kP0, id);
    for (const auto& id : c.want_present) EXPECT_TRUE(d.Contains(kP0, id)) << id;
    for (const auto& id : c.want_absent) EXPECT_FALSE(d.Contains(kP0, id)) << id;
    EXPECT_EQ(d.Size(kP0), c.want_present.size());
  }
}

TEST(DedupeCache, RememberReportsNewIds) {
  DedupeCache d(4);
  EXPECT_TRUE(d.Remember(kP0, "0b7c4e0e-6a51-4d1c-9a39-3f1b2f7e8a10"));
  EXPECT_FALSE(d.Remember(kP0, "0b7c4e0e-6a51-4d1c-9a39-3f1b2f7e8a10"));
  EXPECT_TRUE(d.Remember(kP1, "0b7c4e0e-6a51-4d1c-9a39-3f1b2f7e8a10"));  // partitions are separate
  EXPECT_FALSE(DedupeCache(0).Remember(kP0, "x"));
}

TEST(DedupeCache, ForgetDropsOnlyThatPartition) {
  DedupeCache d(8);
  d.Remember(kP0, "a");
  d.Remember(kP1, "b");
  d.Forget(kP0);
  EXPECT_FALSE(d.Contains(kP0, "a"));
  EXPECT_EQ(d.Size(kP0), 0u);
  EXPECT_TRUE(d.Contains(kP1, "b"));
  EXPECT_FALSE(d.Contains(kP1, "a"));
  // Reassigned later: starts empty and works.
  EXPECT_TRUE(d.Remember(kP0, "a"));
  EXPECT_TRUE(d.Contains(kP0, "a"));
}

TEST(DedupeCache, StaysBoundedUnderChurn) {
  DedupeCache d(100);
  for (int i = 0; i < 100000; ++i) ASSERT_TRUE(d.Remember(kP0, "id-" + std::to_string(i)));
  EXPECT_EQ(d.Size(kP0), 100u);
  EXPECT_TRUE(d.Contains(kP0, "id-99999"));
  EXPECT_TRUE(d.Contains(kP0, "id-99900"));
  EXPECT_FALSE(d.Contains(kP0, "id-99899"));
}

}  // namespace
}  // namespace herald::sidecar
