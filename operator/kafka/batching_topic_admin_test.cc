// BatchingTopicAdmin over FakeTopicAdmin, which records every request that
// reaches the "broker": concurrent calls must leave as few requests, and
// each caller must get exactly its own answers.
#include "operator/kafka/batching_topic_admin.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <latch>
#include <mutex>
#include <thread>

#include "operator/kafka/fake_topic_admin.h"
#include "operator/kafka/topic_admin_contract.h"

namespace herald::kafka {
namespace {

using namespace std::chrono_literals;
using testing::ContractTarget;
using testing::TopicAdminContract;

// The batcher answers as the admin behind it does, for one caller at a time.
INSTANTIATE_TEST_SUITE_P(BatchingOverFake, TopicAdminContract,
                         ::testing::Values(ContractTarget{"BatchingOverFake", [] {
                                                            return std::make_unique<BatchingTopicAdmin>(
                                                                std::make_unique<FakeTopicAdmin>(),
                                                                BatchingOptions{.window = 1ms});
                                                          }}));

class CountingObserver final : public AdminObserver {
 public:
  void OnCall(std::string_view, size_t) override { ++calls; }
  void OnRequest(std::string_view, size_t topics, size_t calls_served) override {
    ++requests;
    topics_sent += topics;
    largest = std::max<size_t>(largest, calls_served);
  }
  std::atomic<int> calls{0}, requests{0};
  std::atomic<size_t> topics_sent{0}, largest{0};
};

size_t CountRequests(const FakeTopicAdmin& fake, const std::string& call) {
  size_t n = 0;
  for (const auto& r : fake.Requests()) n += r.call == call;
  return n;
}

TEST(BatchingTopicAdmin, ConcurrentCallsLeaveAsOneRequestAndEachGetsItsOwnResults) {
  FakeTopicAdmin fake;
  fake.Seed("t3.dlq", {1, 1, {}});
  fake.FailTopic("t5", {"POLICY_VIOLATION", "not here"});
  CountingObserver obs;
  // A long window that ends as soon as every caller's topics are queued:
  // all arrive within it, even on a busy machine, and nobody waits it out.
  constexpr int kCallers = 12;
  BatchingTopicAdmin admin(fake, {.window = 20s, .max_topics = 2 * kCallers, .observer = &obs});
  std::vector<std::vector<CreateTopicResult>> results(kCallers);
  std::latch start(kCallers);
  std::vector<std::thread> threads;
  for (int i = 0; i < kCallers; ++i) {
    threads.emplace_back([&, i] {
      std::string t = "t" + std::to_string(i);
      start.arrive_and_wait();
      results[i] = admin.CreateTopics({{t, i + 1, 1, {}}, {t + ".dlq", 1, 1, {}}});
    });
  }
  for (auto& t : threads) t.join();

  EXPECT_EQ(CountRequests(fake, "CreateTopics"), 1u) << "12 concurrent calls, one request";
  EXPECT_EQ(obs.calls, kCallers);
  EXPECT_EQ(obs.requests, 1);
  EXPECT_EQ(obs.topics_sent, 2u * kCallers);
  for (int i = 0; i < kCallers; ++i) {
    std::string t = "t" + std::to_string(i);
    ASSERT_EQ(results[i].size(), 2u);
    EXPECT_EQ(results[i][0].name, t);
    EXPECT_EQ(results[i][1].name, t + ".dlq");
    if (i == 5) {
      EXPECT_EQ(results[i][0].status, CreateStatus::kError);
      EXPECT_EQ(results[i][0].error->code, "POLICY_VIOLATION");
      EXPECT_EQ(results[i][1].status, CreateStatus::kCreated) << "a neighbour's failure is not ours";
    } else {
      EXPECT_EQ(results[i][0].status, CreateStatus::kCreated) << t;
      EXPECT_EQ(results[i][1].status, i == 3 ? CreateStatus::kAlreadyExists : CreateStatus::kCreated) << t;
      EXPECT_EQ(fake.Get(t)->partitions, i + 1);
    }
  }
}

// An admin whose first request blocks until released, to hold a request in flight.
class GatedAdmin final : public TopicAdmin {
 public:
  explicit GatedAdmin(TopicAdmin& inner) : inner_(inner) {}
  std::vector<TopicDescription> DescribeTopics(const std::vector<std::string>& names) override {
    {
      std::unique_lock lock(mu_);
      entered_ = true;
      cv_.notify_all();
      cv_.wait(lock, [&] { return open_; });
    }
    return inner_.DescribeTopics(names);
  }
  std::vector<CreateTopicResult> CreateTopics(const std::vector<TopicSpec>& t) override {
    return inner_.CreateTopics(t);
  }
  std::vector<TopicResult> CreatePartitions(const std::vector<PartitionIncrease>& p) override {
    return inner_.CreatePartitions(p);
  }
  std::vector<TopicResult> AlterConfigs(const std::vector<TopicConfigs>& t) override { return inner_.AlterConfigs(t); }
  std::vector<TopicResult> DeleteTopics(const std::vector<std::string>& n) override { return inner_.DeleteTopics(n); }
  Status Ping() override { return inner_.Ping(); }
  void WaitEntered() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return entered_; });
  }
  void Open() {
    std::lock_guard lock(mu_);
    open_ = true;
    cv_.notify_all();
  }

 private:
  TopicAdmin& inner_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool entered_ = false, open_ = false;
};

TEST(BatchingTopicAdmin, CallsMadeWhileARequestIsInFlightLeaveTogetherNext) {
  FakeTopicAdmin fake;
  fake.Seed("b", {2, 1, {}});
  GatedAdmin gate(fake);
  CountingObserver obs;
  BatchingTopicAdmin admin(gate, {.window = 0ms, .observer = &obs});  // no lingering: only in-flight batching
  std::thread first([&] { (void)admin.DescribeTopics({"a"}); });
  gate.WaitEntered();
  std::vector<TopicDescription> b, c, d;
  std::thread tb([&] { b = admin.DescribeTopics({"b"}); });
  std::thread tc([&] { c = admin.DescribeTopics({"c", "b"}); });
  std::thread td([&] { d = admin.DescribeTopics({"d"}); });
  while (obs.calls.load() < 4) std::this_thread::sleep_for(1ms);
  gate.Open();
  for (auto* t : {&first, &tb, &tc, &td}) t->join();

  // "b" is asked twice: the second asker waits for a request of its own.
  std::vector<std::vector<std::string>> sent;
  for (const auto& r : fake.Requests()) sent.push_back(r.topics);
  ASSERT_EQ(sent.size(), 3u);
  EXPECT_EQ(sent[0], (std::vector<std::string>{"a"}));
  EXPECT_EQ(sent[1].size() + sent[2].size(), 4u);
  EXPECT_EQ(obs.largest, 2u);
  ASSERT_EQ(b.size(), 1u);
  EXPECT_TRUE(b[0].exists);
  EXPECT_EQ(b[0].partitions, 2);
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c[0].name, "c");
  EXPECT_FALSE(c[0].exists);
  EXPECT_EQ(c[1].name, "b");
  EXPECT_TRUE(c[1].exists);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].name, "d");
}

TEST(BatchingTopicAdmin, MaxTopicsSendsWithoutWaitingForTheWindow) {
  FakeTopicAdmin fake;
  BatchingTopicAdmin admin(fake, {.window = 30s, .max_topics = 4});
  auto t0 = std::chrono::steady_clock::now();
  std::latch start(2);
  std::thread a([&] {
    start.arrive_and_wait();
    (void)admin.DeleteTopics({"a", "a.dlq"});
  });
  std::thread b([&] {
    start.arrive_and_wait();
    (void)admin.DeleteTopics({"b", "b.dlq"});
  });
  a.join();
  b.join();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 20s);
  EXPECT_EQ(CountRequests(fake, "DeleteTopics"), 1u);
}

TEST(BatchingTopicAdmin, AFailedRequestFailsEveryCallerInIt) {
  FakeTopicAdmin fake;
  fake.SetUnreachable(true);
  BatchingTopicAdmin admin(fake, {.window = 1ms});
  auto r = admin.AlterConfigs({{"x", {{"retention.ms", "1"}}}});
  ASSERT_EQ(r.size(), 1u);
  ASSERT_FALSE(r[0].ok());
  EXPECT_EQ(r[0].error->code, "_TRANSPORT");
  EXPECT_FALSE(admin.Ping().ok());
  EXPECT_TRUE(admin.DescribeTopics({}).empty());
  EXPECT_EQ(CountRequests(fake, "DescribeTopics"), 0u) << "nothing to ask: no request";
}

}  // namespace
}  // namespace herald::kafka
