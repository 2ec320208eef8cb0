#pragma once
// The Kafka side of a channel as values: the topics it should have, what
// must change to get there from what the broker reports, and who owns a
// topic name when two channels claim it. The Kafka adapter does the admin
// calls; every decision about them is made here.
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>

#include "operator/core/channel.h"

namespace herald::op {

// Dead letters are kept at least this long, whatever the main topic keeps:
// they wait for a person to look at them and replay them (heraldctl dlq).
inline constexpr std::chrono::hours kMinDeadLetterRetention{24 * 14};

inline constexpr std::string_view kRetentionMs = "retention.ms";
inline constexpr std::string_view kCleanupPolicy = "cleanup.policy";

struct TopicSpec {
  std::string name;
  int32_t partitions = 1;
  int32_t replication_factor = 1;
  std::map<std::string, std::string> configs;  // only the keys Herald manages
  friend bool operator==(const TopicSpec&, const TopicSpec&) = default;
};

// What the broker reports about a topic.
struct ObservedTopic {
  bool exists = false;
  int32_t partitions = 0;
  int32_t replication_factor = 0;              // 0: unknown
  std::map<std::string, std::string> configs;  // current values; keys absent here count as different
};

// Why a topic is not as desired; `reason` is one of conditions.h's
// kReasonNotSupported, kReasonResourceConflict, kReasonKafkaError.
struct TopicError {
  std::string reason;
  std::string message;
  friend bool operator==(const TopicError&, const TopicError&) = default;
};

// The channel's topic: spec.kafka partitions and replication factor,
// retention.ms from spec.kafka.retention, cleanup.policy=delete.
[[nodiscard]] TopicSpec DesiredTopic(const Channel& channel);
// The dead-letter topic "<topic>.dlq": as DesiredTopic, with retention.ms
// max(spec.kafka.retention, 14 days). Desired whether or not
// spec.delivery.deadLetter.enabled, so enabling it later needs no new topic
// and heraldctl always finds one.
[[nodiscard]] TopicSpec DesiredDeadLetterTopic(const Channel& channel);

// What to do to one topic. Several changes can be due at once (more
// partitions and a new retention); the plan lists every supported change and,
// separately, the part Kafka cannot do.
struct TopicPlan {
  bool create = false;                               // create with the desired spec
  std::optional<int32_t> increase_partitions_to;     // CreatePartitions to this total
  std::map<std::string, std::string> alter_configs;  // incremental SET of these keys
  // Set when the topic has more partitions than desired or another
  // replication factor (reason NotSupported): the reconciler still applies
  // the changes above and reports this in TopicReady.
  std::optional<TopicError> refusal;

  [[nodiscard]] bool NothingToDo() const { return !create && !increase_partitions_to && alter_configs.empty(); }
};

// Compares the desired topic with what the broker reports. Returns
// {create} for a missing topic; otherwise the partition increase and the
// config keys whose observed value differs (or is missing), plus a refusal
// for a partition decrease or a replication-factor change (both need data
// movement Herald does not do). An existing topic is adopted, never recreated.
[[nodiscard]] TopicPlan PlanTopicChange(const TopicSpec& desired, const ObservedTopic& observed);

// Two channels must never share a topic: their workers would split each
// other's messages. Among channels claiming the same name (as topic or as
// dead-letter topic, in any combination), the one created first keeps it;
// ties go to the smaller namespace/name. `channels` may include `channel`
// itself (matched by uid) and channels of other namespaces.
// Returns nullopt when `channel` may use its topics, else a TopicError with
// reason ResourceConflict naming the topic and the channel that owns it.
[[nodiscard]] std::optional<TopicError> FindTopicConflict(const Channel& channel, std::span<const Channel> channels);

}  // namespace herald::op
