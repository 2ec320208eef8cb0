#pragma once
// The Kafka side of the operator as a small interface: describe, create,
// grow, configure and delete topics, many at once. Reconcile logic talks to
// a TopicAdmin passed in, so it is tested against FakeTopicAdmin without a
// broker; RdKafkaTopicAdmin is the librdkafka implementation.
//
// Every batch call sends (at most) one admin request for all its items and
// returns one result per input item, in input order. Nothing throws: a
// failure of the whole request (broker unreachable, timeout) becomes the
// same error on every item, so callers handle one shape of failure.
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "herald/result.h"

namespace herald::kafka {

// An error for one topic. `code` is the error's name as librdkafka spells it
// (rd_kafka_err2name): Kafka's own codes without prefix ("INVALID_PARTITIONS",
// "TOPIC_ALREADY_EXISTS", "UNKNOWN_TOPIC_OR_PART", "INVALID_CONFIG",
// "POLICY_VIOLATION", "TOPIC_AUTHORIZATION_FAILED"), client-side ones with a
// leading underscore ("_TIMED_OUT", "_TRANSPORT", "_INVALID_ARG").
// `message` is the broker's or client's text, for people.
struct KafkaError {
  std::string code;
  std::string message;
  friend bool operator==(const KafkaError&, const KafkaError&) = default;
};
std::ostream& operator<<(std::ostream& os, const KafkaError& e);

// Error codes callers branch on, spelled as in KafkaError::code.
inline constexpr std::string_view kErrInvalidPartitions = "INVALID_PARTITIONS";
inline constexpr std::string_view kErrInvalidReplicationFactor = "INVALID_REPLICATION_FACTOR";
inline constexpr std::string_view kErrInvalidConfig = "INVALID_CONFIG";
inline constexpr std::string_view kErrInvalidTopic = "TOPIC_EXCEPTION";
inline constexpr std::string_view kErrUnknownTopic = "UNKNOWN_TOPIC_OR_PART";
inline constexpr std::string_view kErrTimedOut = "_TIMED_OUT";
inline constexpr std::string_view kErrInvalidArg = "_INVALID_ARG";

// A topic to create.
struct TopicSpec {
  std::string name;
  int32_t partitions = 1;                      // -1: the broker's num.partitions
  int32_t replication_factor = 1;              // -1: the broker's default.replication.factor
  std::map<std::string, std::string> configs;  // topic-level overrides: retention.ms, cleanup.policy, ...
};

// What the broker reports about one topic.
struct TopicDescription {
  std::string name;
  // When set, describing this topic failed and the fields below are not to
  // be trusted (exists may still be true: the topic is there, its details
  // are not known).
  std::optional<KafkaError> error;
  bool exists = false;
  int32_t partitions = 0;
  int32_t replication_factor = 0;  // replicas of partition 0; 0 when unknown
  // The topic's own overrides: entries whose source is DYNAMIC_TOPIC_CONFIG.
  // This is exactly the set AlterConfigs replaces, so comparing it with the
  // desired configs says whether an AlterConfigs is due.
  std::map<std::string, std::string> configs;
  // Every config's current value, defaults included (sensitive ones, whose
  // value the broker hides, are left out): for status and diagnostics, e.g.
  // the retention.ms actually in force when the topic has no override.
  std::map<std::string, std::string> effective_configs;
};

enum class CreateStatus {
  kCreated,
  kAlreadyExists,  // TOPIC_ALREADY_EXISTS: whether that is adoption or a conflict is the caller's decision
  kError,
};
std::string_view ToString(CreateStatus s);
std::ostream& operator<<(std::ostream& os, CreateStatus s);

struct CreateTopicResult {
  std::string name;
  CreateStatus status = CreateStatus::kError;
  std::optional<KafkaError> error;  // set exactly when status == kError
};

// Grow a topic to `total_partitions` (the new total, not the number to add).
struct PartitionIncrease {
  std::string name;
  int32_t total_partitions = 0;
};

// The complete set of a topic's overrides. Kafka's AlterConfigs replaces the
// whole set: every key not listed here reverts to the broker default.
struct TopicConfigs {
  std::string name;
  std::map<std::string, std::string> configs;
};

// Result of CreatePartitions, AlterConfigs and DeleteTopics for one topic.
struct TopicResult {
  std::string name;
  std::optional<KafkaError> error;  // nullopt: done
  [[nodiscard]] bool ok() const { return !error.has_value(); }
};

class TopicAdmin {
 public:
  virtual ~TopicAdmin() = default;

  // Describes `names` with one metadata request and one DescribeConfigs for
  // the topics that exist. Returns one TopicDescription per name: exists =
  // false for a topic the broker does not know (not an error); `error` set
  // for a topic whose details could not be read, and on every item when a
  // whole request failed (e.g. "_TRANSPORT", "_TIMED_OUT").
  [[nodiscard]] virtual std::vector<TopicDescription> DescribeTopics(const std::vector<std::string>& names) = 0;

  // Creates `topics` in one CreateTopics request. Per topic: kCreated;
  // kAlreadyExists when the name is taken (its partitions and configs are
  // not checked: describe it); kError with Kafka's code otherwise
  // (INVALID_REPLICATION_FACTOR, INVALID_PARTITIONS, INVALID_CONFIG,
  // TOPIC_EXCEPTION for a bad name or one that differs from an existing
  // topic only by '.' versus '_', POLICY_VIOLATION, ...). A name listed
  // twice gets _INVALID_ARG on the repeat, as does a partition count or
  // replication factor below -1 (neither is sent).
  [[nodiscard]] virtual std::vector<CreateTopicResult> CreateTopics(const std::vector<TopicSpec>& topics) = 0;

  // Raises partition counts in one CreatePartitions request. Per topic: ok;
  // INVALID_PARTITIONS when the total is not above the current count (Kafka
  // never removes partitions, and asking for the current count is also
  // refused); UNKNOWN_TOPIC_OR_PART for a missing topic; _INVALID_ARG, sent
  // nowhere, for a total below 1.
  [[nodiscard]] virtual std::vector<TopicResult> CreatePartitions(const std::vector<PartitionIncrease>& increases) = 0;

  // Replaces each topic's overrides with the given set, in one AlterConfigs
  // request: send every key the caller manages each time, and know that
  // overrides set by anyone else are removed too. Per topic: ok;
  // INVALID_CONFIG for an unknown key or a bad value (the topic is then
  // unchanged); UNKNOWN_TOPIC_OR_PART.
  [[nodiscard]] virtual std::vector<TopicResult> AlterConfigs(const std::vector<TopicConfigs>& topics) = 0;

  // Deletes topics in one DeleteTopics request. Per topic: ok, also when the
  // topic did not exist (deleting is idempotent); an error otherwise
  // (TOPIC_DELETION_DISABLED, TOPIC_AUTHORIZATION_FAILED, and _TIMED_OUT or
  // _TRANSPORT when Kafka did not answer: never assumed gone).
  [[nodiscard]] virtual std::vector<TopicResult> DeleteTopics(const std::vector<std::string>& names) = 0;

  // A cheap check that a broker answers (for /readyz). Returns OK when one
  // does; an error naming the bootstrap servers and the cause otherwise.
  [[nodiscard]] virtual Status Ping() = 0;
};
using TopicAdminPtr = std::unique_ptr<TopicAdmin>;

}  // namespace herald::kafka
