// RdKafkaTopicAdmin against the local stack's real Kafka 4.1 broker: the
// shared TopicAdmin contract, and a client made from a properties file.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

#include "operator/kafka/batching_topic_admin.h"
#include "operator/kafka/rdkafka_topic_admin.h"
#include "operator/kafka/topic_admin_contract.h"
#include "stack_env.h"

namespace herald::kafka {
namespace {

using testing::ContractTarget;
using testing::TopicAdminContract;

TopicAdminPtr RealAdmin() {
  const std::string bootstrap = herald::testing::StackEnv("HERALD_KAFKA_BOOTSTRAP");
  if (bootstrap.empty()) return nullptr;
  auto a = RdKafkaTopicAdmin::Create(bootstrap, {{"client.id", "herald-kafka-stack-test"}});
  if (!a.ok()) {
    ADD_FAILURE() << a.error();
    return nullptr;
  }
  return std::move(*a);
}

// The batching layer the operator puts in front of it answers the same.
TopicAdminPtr BatchingRealAdmin() {
  auto real = RealAdmin();
  if (!real) return nullptr;
  return std::make_unique<BatchingTopicAdmin>(std::move(real), BatchingOptions{.window = std::chrono::milliseconds(5)});
}

INSTANTIATE_TEST_SUITE_P(Kafka, TopicAdminContract,
                         ::testing::Values(ContractTarget{"Kafka", RealAdmin},
                                           ContractTarget{"BatchingKafka", BatchingRealAdmin}));

TEST(RdKafkaTopicAdminStackTest, ClientFromAPropertiesFileReachesTheBroker) {
  const std::string bootstrap = herald::testing::StackEnv("HERALD_KAFKA_BOOTSTRAP");
  ASSERT_FALSE(bootstrap.empty());
  char path[] = "/tmp/herald-kafka-props-XXXXXX";
  const int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  close(fd);
  // The local stack is PLAINTEXT; a secured cluster's file adds ssl.* / sasl.*.
  std::ofstream(path) << "# what the operator's Secret holds\nbootstrap.servers=" << bootstrap
                      << "\nsecurity.protocol=PLAINTEXT\nclient.id=herald-props-test\n";
  const auto props = LoadKafkaProperties(path);
  std::remove(path);
  ASSERT_TRUE(props.ok()) << props.error();
  const auto admin = RdKafkaTopicAdmin::Create("", *props);
  ASSERT_TRUE(admin.ok()) << admin.error();
  const Status s = (*admin)->Ping();
  EXPECT_TRUE(s.ok()) << s.error();
}

}  // namespace
}  // namespace herald::kafka
