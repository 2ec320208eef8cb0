// RdKafkaTopicAdmin without a broker: construction errors, and what every
// call answers when nothing listens (127.0.0.1:1 refuses connections).
#include "operator/kafka/rdkafka_topic_admin.h"

#include <gtest/gtest.h>

#include <chrono>

namespace herald::kafka {
namespace {

using std::chrono::milliseconds;

TEST(RdKafkaTopicAdminCreateTest, UnknownPropertyIsNamed) {
  const auto a = RdKafkaTopicAdmin::Create("127.0.0.1:1", {{"no.such.property", "1"}});
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.error().rfind("kafka property no.such.property: ", 0), 0u) << a.error();
}

TEST(RdKafkaTopicAdminCreateTest, RefusedValueIsNamed) {
  const auto a = RdKafkaTopicAdmin::Create("127.0.0.1:1", {{"security.protocol", "carrier-pigeon"}});
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.error().rfind("kafka property security.protocol: ", 0), 0u) << a.error();
}

TEST(RdKafkaTopicAdminCreateTest, UnreadableCaFailsCreation) {
  const auto a = RdKafkaTopicAdmin::Create("127.0.0.1:1",
                                           {{"security.protocol", "ssl"}, {"ssl.ca.location", "/nonexistent/ca.crt"}});
  ASSERT_FALSE(a.ok());
  EXPECT_NE(a.error().find("ssl.ca.location"), std::string::npos) << a.error();
}

TEST(RdKafkaTopicAdminCreateTest, NeedsBootstrapServers) {
  const auto a = RdKafkaTopicAdmin::Create("", {});
  ASSERT_FALSE(a.ok());
  EXPECT_NE(a.error().find("no bootstrap servers"), std::string::npos) << a.error();
}

TEST(RdKafkaTopicAdminCreateTest, TakesBootstrapFromPropertiesWhenNotGiven) {
  const auto a = RdKafkaTopicAdmin::Create("", {{"bootstrap.servers", "127.0.0.1:1"}, {"client.id", "t"}});
  EXPECT_TRUE(a.ok()) << a.error();
}

TEST(RdKafkaTopicAdminCreateTest, AcceptsTheWorkersConsumerProperties) {
  const auto a = RdKafkaTopicAdmin::Create(
      "127.0.0.1:1",
      {{"group.id", "herald.team-a.ops"}, {"auto.offset.reset", "earliest"}, {"enable.auto.commit", "false"}});
  EXPECT_TRUE(a.ok()) << a.error();
}

class RdKafkaTopicAdminUnreachableTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto a = RdKafkaTopicAdmin::Create("127.0.0.1:1", {},
                                       {.request_timeout = milliseconds(300), .ping_timeout = milliseconds(200)});
    ASSERT_TRUE(a.ok()) << a.error();
    admin_ = std::move(*a);
  }
  std::unique_ptr<RdKafkaTopicAdmin> admin_;
};

TEST_F(RdKafkaTopicAdminUnreachableTest, PingNamesTheBootstrapServers) {
  const Status s = admin_->Ping();
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().find("127.0.0.1:1"), std::string::npos) << s.error();
}

TEST_F(RdKafkaTopicAdminUnreachableTest, EveryItemGetsTheRequestsError) {
  const auto start = std::chrono::steady_clock::now();
  const auto ds = admin_->DescribeTopics({"a", "b"});
  ASSERT_EQ(ds.size(), 2u);
  for (const auto& d : ds) {
    EXPECT_FALSE(d.exists);
    ASSERT_TRUE(d.error) << d.name;
    EXPECT_TRUE(d.error->code == "_TRANSPORT" || d.error->code == kErrTimedOut) << *d.error;
  }
  const auto cs = admin_->CreateTopics({{"a", 1, 1, {}}, {"b", 1, 1, {}}});
  for (const auto& c : cs) {
    EXPECT_EQ(c.status, CreateStatus::kError);
    ASSERT_TRUE(c.error);
    EXPECT_EQ(c.error->code, kErrTimedOut) << *c.error;
  }
  for (const auto& r : admin_->CreatePartitions({{"a", 2}})) EXPECT_FALSE(r.ok());
  for (const auto& r : admin_->AlterConfigs({{"a", {}}})) EXPECT_FALSE(r.ok());
  for (const auto& r : admin_->DeleteTopics({"a"})) EXPECT_FALSE(r.ok()) << "unknown is not assumed when unreachable";
  // Each call is bounded by the request timeout.
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

TEST_F(RdKafkaTopicAdminUnreachableTest, ItemsRefusedLocallyNeverWait) {
  const auto start = std::chrono::steady_clock::now();
  const auto cs = admin_->CreateTopics({{"a", -7, 1, {}}});
  ASSERT_TRUE(cs[0].error);
  EXPECT_EQ(cs[0].error->code, kErrInvalidArg) << *cs[0].error;
  const auto ps = admin_->CreatePartitions({{"a", -1}});
  ASSERT_TRUE(ps[0].error);
  EXPECT_EQ(ps[0].error->code, kErrInvalidArg) << *ps[0].error;
  EXPECT_LT(std::chrono::steady_clock::now() - start, milliseconds(250));
}

}  // namespace
}  // namespace herald::kafka
