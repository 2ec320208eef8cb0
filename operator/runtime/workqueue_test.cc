#include "runtime/workqueue.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

namespace herald::runtime {
namespace {

using namespace std::chrono_literals;

TEST(WorkQueue, DeduplicatesQueuedKeys) {
  WorkQueue q;
  q.Add("a");
  q.Add("a");
  q.Add("b");
  EXPECT_EQ(q.Len(), 2u);
  std::string k;
  ASSERT_TRUE(q.Get(&k));
  EXPECT_EQ(k, "a");
  ASSERT_TRUE(q.Get(&k));
  EXPECT_EQ(k, "b");
}

TEST(WorkQueue, KeyAddedWhileProcessingIsRequeuedOnlyAfterDone) {
  WorkQueue q;
  q.Add("a");
  std::string k;
  ASSERT_TRUE(q.Get(&k));
  q.Add("a");  // while processing: must not be handed to another worker
  EXPECT_EQ(q.Len(), 0u);
  q.Done("a");
  EXPECT_EQ(q.Len(), 1u);
  ASSERT_TRUE(q.Get(&k));
  EXPECT_EQ(k, "a");
  q.Done("a");
  EXPECT_EQ(q.Len(), 0u);
}

TEST(WorkQueue, DelayedKeyComesAfterImmediateOne) {
  WorkQueue q;
  q.AddAfter("later", 150ms);
  q.Add("now");
  std::string k;
  ASSERT_TRUE(q.Get(&k));
  EXPECT_EQ(k, "now");
  auto start = WorkQueue::Clock::now();
  ASSERT_TRUE(q.Get(&k));
  EXPECT_EQ(k, "later");
  EXPECT_GE(WorkQueue::Clock::now() - start, 100ms);
}

TEST(WorkQueue, RateLimitedBackoffGrowsPerKeyAndForgetResets) {
  WorkQueue q(WorkQueue::Options{.base_delay = 1ms, .max_delay = 1s});
  for (int i = 0; i < 3; ++i) {
    q.AddRateLimited("a");
    std::string k;
    ASSERT_TRUE(q.Get(&k));
    q.Done(k);
  }
  EXPECT_EQ(q.NumRequeues("a"), 3);
  EXPECT_EQ(q.NumRequeues("b"), 0);
  q.Forget("a");
  EXPECT_EQ(q.NumRequeues("a"), 0);
}

TEST(WorkQueue, ShutDownReleasesBlockedGetters) {
  WorkQueue q;
  std::atomic<bool> returned{false};
  std::thread t([&] {
    std::string k;
    EXPECT_FALSE(q.Get(&k));
    returned = true;
  });
  q.ShutDown();
  t.join();
  EXPECT_TRUE(returned);
}

TEST(WorkQueue, ConcurrentWorkersNeverShareAKey) {
  WorkQueue q;
  std::atomic<int> in_flight_a{0}, max_in_flight_a{0}, processed{0};
  std::vector<std::thread> workers;
  for (int w = 0; w < 4; ++w) {
    workers.emplace_back([&] {
      std::string k;
      while (q.Get(&k)) {
        if (k == "a") {
          int n = ++in_flight_a;
          max_in_flight_a = std::max(max_in_flight_a.load(), n);
          std::this_thread::yield();
          --in_flight_a;
        }
        ++processed;
        q.Done(k);
      }
    });
  }
  for (int i = 0; i < 2000; ++i) q.Add(i % 2 ? "a" : "k" + std::to_string(i));
  auto deadline = WorkQueue::Clock::now() + 10s;
  while (q.Len() > 0 && WorkQueue::Clock::now() < deadline) std::this_thread::yield();
  q.ShutDown();
  for (auto& t : workers) t.join();
  EXPECT_EQ(max_in_flight_a.load(), 1);
  EXPECT_GT(processed.load(), 1000);
}

}  // namespace
}  // namespace herald::runtime
