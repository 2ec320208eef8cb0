#pragma once
// An in-memory TopicAdmin for tests of reconcile logic: it answers as a
// single-broker Kafka 4.1 does (the same error codes, checked by the shared
// contract tests in topic_admin_contract.cc against both this fake and the
// real broker), records every request so tests can check batching, and
// fails on demand.
#include <mutex>
#include <set>

#include "operator/kafka/topic_admin.h"

namespace herald::kafka {

class FakeTopicAdmin final : public TopicAdmin {
 public:
  struct Topic {
    int32_t partitions = 0;
    int32_t replication_factor = 0;
    std::map<std::string, std::string> configs;  // overrides only
  };
  // One admin request as it reached the "broker".
  struct Request {
    std::string call;  // "DescribeTopics" | "CreateTopics" | "CreatePartitions" | "AlterConfigs" | "DeleteTopics"
    std::vector<std::string> topics;
  };

  // A cluster of `brokers` brokers: a replication factor above it is refused.
  explicit FakeTopicAdmin(int32_t brokers = 1) : brokers_(brokers) {}

  // TopicAdmin (see topic_admin.h).
  std::vector<TopicDescription> DescribeTopics(const std::vector<std::string>& names) override;
  std::vector<CreateTopicResult> CreateTopics(const std::vector<TopicSpec>& topics) override;
  std::vector<TopicResult> CreatePartitions(const std::vector<PartitionIncrease>& increases) override;
  std::vector<TopicResult> AlterConfigs(const std::vector<TopicConfigs>& topics) override;
  std::vector<TopicResult> DeleteTopics(const std::vector<std::string>& names) override;
  Status Ping() override;

  // --- Test controls. All are thread-safe.

  // Puts a topic in place as if someone else had made it (no request recorded).
  void Seed(const std::string& name, Topic topic);
  // The topic as stored, or nullopt when it does not exist.
  [[nodiscard]] std::optional<Topic> Get(const std::string& name) const;
  // While true, every call fails on every item with _TRANSPORT, and Ping fails.
  void SetUnreachable(bool unreachable);
  // Every later call that names `name` answers it with `error`, until
  // ClearFailures. Other items of the same call are unaffected.
  void FailTopic(const std::string& name, KafkaError error);
  void ClearFailures();
  // Requests made so far (unreachable calls included: they were attempted).
  [[nodiscard]] std::vector<Request> Requests() const;
  void ClearRequests();

 private:
  std::optional<KafkaError> Injected(const std::string& name) const;  // needs mu_
  void Record(std::string call, std::vector<std::string> topics);     // needs mu_

  const int32_t brokers_;
  mutable std::mutex mu_;
  std::map<std::string, Topic> topics_;
  std::map<std::string, KafkaError> failures_;
  std::vector<Request> requests_;
  bool unreachable_ = false;
};

}  // namespace herald::kafka
