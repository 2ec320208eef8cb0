#pragma once
// TopicAdmin on librdkafka's C admin API (2.0.2: CreateTopics,
// CreatePartitions, DeleteTopics, DescribeConfigs, AlterConfigs; topics are
// described through metadata, there is no DescribeTopics yet).
#include <chrono>
#include <string>

#include "herald/result.h"
#include "herald/kafka_properties.h"
#include "operator/kafka/topic_admin.h"

typedef struct rd_kafka_s rd_kafka_t;  // NOLINT: librdkafka's own spelling

namespace herald::kafka {

struct RdKafkaAdminOptions {
  // Whole admin call, including finding the controller and the broker's work.
  // When it passes, every item of the call gets _TIMED_OUT.
  std::chrono::milliseconds request_timeout{30'000};
  // Ping's metadata request: short, so /readyz answers quickly.
  std::chrono::milliseconds ping_timeout{3'000};
};

class RdKafkaTopicAdmin final : public TopicAdmin {
 public:
  // Makes a client for `bootstrap_servers` with the extra librdkafka
  // `properties` (security.protocol, ssl.*, sasl.*, client.id, ...; see
  // LoadKafkaProperties). A non-empty `bootstrap_servers` overrides a
  // bootstrap.servers property. No connection is made yet: Ping for that.
  // Properties meant only for consumers (group.id, ...) are accepted, with a
  // warning in the log, so the workers' file can be shared as it is.
  // Errors: no bootstrap servers at all; a property librdkafka does not know
  // or whose value it refuses ("kafka property <name>: <librdkafka's
  // reason>"; librdkafka quotes refused values, which are enums and numbers,
  // never free text such as passwords); a client that cannot be created
  // (e.g. an ssl.ca.location that cannot be read).
  [[nodiscard]] static Result<std::unique_ptr<RdKafkaTopicAdmin>> Create(const std::string& bootstrap_servers,
                                                                         const KafkaProperties& properties,
                                                                         RdKafkaAdminOptions options = {});
  ~RdKafkaTopicAdmin() override;
  RdKafkaTopicAdmin(const RdKafkaTopicAdmin&) = delete;
  RdKafkaTopicAdmin& operator=(const RdKafkaTopicAdmin&) = delete;

  // TopicAdmin (see topic_admin.h). Safe to call from several threads: each
  // call waits on its own result queue.
  std::vector<TopicDescription> DescribeTopics(const std::vector<std::string>& names) override;
  std::vector<CreateTopicResult> CreateTopics(const std::vector<TopicSpec>& topics) override;
  std::vector<TopicResult> CreatePartitions(const std::vector<PartitionIncrease>& increases) override;
  std::vector<TopicResult> AlterConfigs(const std::vector<TopicConfigs>& topics) override;
  std::vector<TopicResult> DeleteTopics(const std::vector<std::string>& names) override;
  Status Ping() override;

 private:
  RdKafkaTopicAdmin(rd_kafka_t* rk, std::string bootstrap, RdKafkaAdminOptions options);

  rd_kafka_t* rk_;
  std::string bootstrap_;  // for messages
  RdKafkaAdminOptions options_;
};

}  // namespace herald::kafka
