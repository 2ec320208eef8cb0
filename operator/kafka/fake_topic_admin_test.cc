// The fake passes the same contract as the real broker, plus its own test
// controls: request recording (to check batching), outages, per-topic faults.
#include "operator/kafka/fake_topic_admin.h"

#include <gtest/gtest.h>

#include "operator/kafka/topic_admin_contract.h"

namespace herald::kafka {
namespace {

using testing::ContractTarget;
using testing::TopicAdminContract;

INSTANTIATE_TEST_SUITE_P(Fake, TopicAdminContract,
                         ::testing::Values(ContractTarget{"Fake", [] { return std::make_unique<FakeTopicAdmin>(); }}));

TEST(FakeTopicAdminTest, RecordsOneRequestPerBatch) {
  FakeTopicAdmin fake;
  (void)fake.CreateTopics({{"a", 1, 1, {}}, {"b", 1, 1, {}}});
  (void)fake.DescribeTopics({"a", "b"});
  (void)fake.DeleteTopics({});  // nothing to send: no request
  const auto reqs = fake.Requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(reqs[0].call, "CreateTopics");
  EXPECT_EQ(reqs[0].topics, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(reqs[1].call, "DescribeTopics");
  fake.ClearRequests();
  EXPECT_TRUE(fake.Requests().empty());
}

TEST(FakeTopicAdminTest, UnreachableFailsEveryItemAndPing) {
  FakeTopicAdmin fake;
  fake.Seed("a", {3, 1, {}});
  fake.SetUnreachable(true);
  EXPECT_FALSE(fake.Ping().ok());
  const auto ds = fake.DescribeTopics({"a", "b"});
  for (const auto& d : ds) {
    ASSERT_TRUE(d.error);
    EXPECT_EQ(d.error->code, "_TRANSPORT");
  }
  const auto cs = fake.CreateTopics({{"c", 1, 1, {}}});
  EXPECT_EQ(cs[0].status, CreateStatus::kError);
  EXPECT_FALSE(fake.DeleteTopics({"a"})[0].ok());
  EXPECT_TRUE(fake.Get("a")) << "nothing changed while unreachable";
  fake.SetUnreachable(false);
  EXPECT_TRUE(fake.Ping().ok());
}

TEST(FakeTopicAdminTest, FailTopicAffectsOnlyThatItem) {
  FakeTopicAdmin fake;
  fake.FailTopic("b", KafkaError{"TOPIC_AUTHORIZATION_FAILED", "not allowed"});
  const auto rs = fake.CreateTopics({{"a", 1, 1, {}}, {"b", 1, 1, {}}});
  EXPECT_EQ(rs[0].status, CreateStatus::kCreated);
  EXPECT_EQ(rs[1].status, CreateStatus::kError);
  EXPECT_EQ(rs[1].error, (KafkaError{"TOPIC_AUTHORIZATION_FAILED", "not allowed"}));
  fake.ClearFailures();
  EXPECT_EQ(fake.CreateTopics({{"b", 1, 1, {}}})[0].status, CreateStatus::kCreated);
}

TEST(FakeTopicAdminTest, SeedLooksLikeATopicSomeoneElseMade) {
  FakeTopicAdmin fake;
  fake.Seed("theirs", {12, 3, {{"retention.ms", "1000"}}});
  const auto d = fake.DescribeTopics({"theirs"})[0];
  EXPECT_TRUE(d.exists);
  EXPECT_EQ(d.partitions, 12);
  EXPECT_EQ(d.replication_factor, 3);
  EXPECT_EQ(d.effective_configs.at("retention.ms"), "1000");
  EXPECT_EQ(fake.CreateTopics({{"theirs", 1, 1, {}}})[0].status, CreateStatus::kAlreadyExists);
  EXPECT_EQ(fake.Requests().size(), 2u) << "Seed itself records no request";
}

}  // namespace
}  // namespace herald::kafka
