#include "sidecar/core/retry_queue.h"

#include <gtest/gtest.h>

#include <memory>
#include <random>
#include <string>

using namespace std::chrono_literals;

namespace herald::sidecar {
namespace {

const MonoTime kT0 = MonoTime{} + 1000h;

TEST(RetryQueue, PopDueReturnsOnlyDueItemsEarliestFirst) {
  struct Case {
    const char* name;
    std::vector<std::pair<std::chrono::milliseconds, std::string>> pushes;
    std::chrono::milliseconds now;
    size_t max;
    std::vector<std::string> want;
    std::optional<std::chrono::milliseconds> want_next;
  } cases[] = {
      {"empty", {}, 10ms, 100, {}, std::nullopt},
      {"nothing due", {{5ms, "a"}}, 4ms, 100, {}, 5ms},
      {"due exactly now", {{5ms, "a"}}, 5ms, 100, {"a"}, std::nullopt},
      {"out of order pushes", {{30ms, "c"}, {10ms, "a"}, {20ms, "b"}}, 25ms, 100, {"a", "b"}, 30ms},
      {"ties keep push order", {{10ms, "x"}, {10ms, "y"}, {10ms, "z"}}, 10ms, 100, {"x", "y", "z"}, std::nullopt},
      {"max bounds the batch", {{1ms, "a"}, {2ms, "b"}, {3ms, "c"}}, 10ms, 2, {"a", "b"}, 3ms},
      {"a long wait does not block later-pushed earlier items",
       {{60000ms, "slow"}, {1ms, "fast"}},
       1ms,
       100,
       {"fast"},
       60000ms},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    RetryQueue<std::string> q;
    for (const auto& [at, item] : c.pushes) q.Push(kT0 + at, item);
    EXPECT_EQ(q.PopDue(kT0 + c.now, c.max), c.want);
    if (c.want_next) {
      EXPECT_EQ(q.NextDue(), kT0 + *c.want_next);
    } else {
      EXPECT_EQ(q.NextDue(), std::nullopt);
    }
    EXPECT_EQ(q.size(), c.pushes.size() - c.want.size());
  }
}

TEST(RetryQueue, HoldsMoveOnlyItems) {
  RetryQueue<std::unique_ptr<int>> q;
  q.Push(kT0 + 2ms, std::make_unique<int>(2));
  q.Push(kT0 + 1ms, std::make_unique<int>(1));
  auto got = q.PopDue(kT0 + 5ms);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(*got[0], 1);
  EXPECT_EQ(*got[1], 2);
  EXPECT_TRUE(q.empty());
}

TEST(RetryQueue, RemoveIfKeepsOrderOfTheRest) {
  RetryQueue<int> q;
  for (int i = 0; i < 20; ++i) q.Push(kT0 + std::chrono::milliseconds{(i * 7) % 20}, i);
  EXPECT_EQ(q.RemoveIf([](int v) { return v % 2 == 1; }), 10u);
  EXPECT_EQ(q.size(), 10u);
  auto rest = q.TakeAll();
  ASSERT_EQ(rest.size(), 10u);
  for (size_t i = 1; i < rest.size(); ++i) {
    EXPECT_EQ(rest[i] % 2, 0);
    EXPECT_LT((rest[i - 1] * 7) % 20, (rest[i] * 7) % 20);
  }
  EXPECT_TRUE(q.empty());
  EXPECT_EQ(q.RemoveIf([](int) { return true; }), 0u);
}

TEST(RetryQueue, MatchesSortedOrderForRandomDueTimes) {
  std::mt19937 rng(7);
  RetryQueue<int> q;
  std::vector<std::pair<int, int>> model;  // (due ms, push index)
  for (int i = 0; i < 500; ++i) {
    int due = static_cast<int>(rng() % 100);
    q.Push(kT0 + std::chrono::milliseconds{due}, i);
    model.push_back({due, i});
  }
  std::sort(model.begin(), model.end());
  std::vector<int> got;
  for (int now = 0; now < 100; now += 10) {
    for (int v : q.PopDue(kT0 + std::chrono::milliseconds{now})) got.push_back(v);
  }
  for (int v : q.TakeAll()) got.push_back(v);
  ASSERT_EQ(got.size(), model.size());
  for (size_t i = 0; i < got.size(); ++i) EXPECT_EQ(got[i], model[i].second) << i;
}

}  // namespace
}  // namespace herald::sidecar
