#include "operator/core/topic_spec.h"

#include <algorithm>
#include <tuple>

#include "operator/core/conditions.h"
#include "operator/core/names.h"

namespace herald::op {
namespace {

std::string Millis(std::chrono::nanoseconds d) {
  return std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(d).count());
}

TopicSpec Topic(const Channel& channel, std::string name, std::chrono::nanoseconds retention) {
  TopicSpec t;
  t.name = std::move(name);
  t.partitions = channel.kafka.partitions;
  t.replication_factor = channel.kafka.replication_factor;
  t.configs[std::string(kRetentionMs)] = Millis(retention);
  // Notification topics are queues, not changelogs: compaction by globalId
  // would silently drop redeliveries of the same notification.
  t.configs[std::string(kCleanupPolicy)] = "delete";
  return t;
}

// Earlier creation wins; the API server writes creationTimestamp as
// "YYYY-MM-DDThh:mm:ssZ", so strings compare as times. A channel without a
// timestamp (not yet persisted) sorts last.
auto Seniority(const Channel& c) {
  return std::make_tuple(c.creation_timestamp.empty(), c.creation_timestamp, c.namespace_name, c.name);
}

}  // namespace

TopicSpec DesiredTopic(const Channel& channel) { return Topic(channel, TopicName(channel), channel.kafka.retention); }

TopicSpec DesiredDeadLetterTopic(const Channel& channel) {
  return Topic(channel, DeadLetterTopicName(TopicName(channel)),
               std::max<std::chrono::nanoseconds>(channel.kafka.retention, kMinDeadLetterRetention));
}

TopicPlan PlanTopicChange(const TopicSpec& desired, const ObservedTopic& observed) {
  TopicPlan plan;
  if (!observed.exists) {
    plan.create = true;
    return plan;
  }
  if (observed.partitions < desired.partitions) plan.increase_partitions_to = desired.partitions;
  for (const auto& [key, value] : desired.configs) {
    const auto it = observed.configs.find(key);
    if (it == observed.configs.end() || it->second != value) plan.alter_configs[key] = value;
  }
  std::string problems;
  if (observed.partitions > desired.partitions) {
    problems = "topic " + desired.name + " has " + std::to_string(observed.partitions) +
               " partitions and spec.kafka.partitions asks for " + std::to_string(desired.partitions) +
               ": Kafka cannot remove partitions; set spec.kafka.partitions to at least " +
               std::to_string(observed.partitions);
  }
  if (observed.replication_factor != 0 && observed.replication_factor != desired.replication_factor) {
    if (!problems.empty()) problems += "; ";
    problems += "topic " + desired.name + " has replication factor " + std::to_string(observed.replication_factor) +
                " and spec.kafka.replicationFactor asks for " + std::to_string(desired.replication_factor) +
                ": Herald does not reassign replicas; set spec.kafka.replicationFactor to " +
                std::to_string(observed.replication_factor) + " or reassign partitions with Kafka's tools";
  }
  if (!problems.empty()) plan.refusal = TopicError{std::string(kReasonNotSupported), problems};
  return plan;
}

std::optional<TopicError> FindTopicConflict(const Channel& channel, std::span<const Channel> channels) {
  const std::string topic = TopicName(channel);
  const std::string mine[] = {topic, DeadLetterTopicName(topic)};
  const Channel* owner = nullptr;
  std::string contested;
  for (const Channel& other : channels) {
    if (other.uid == channel.uid) continue;
    const std::string other_topic = TopicName(other);
    const std::string theirs[] = {other_topic, DeadLetterTopicName(other_topic)};
    for (const auto& m : mine) {
      if (std::find(std::begin(theirs), std::end(theirs), m) == std::end(theirs)) continue;
      if (Seniority(other) < Seniority(channel) && (owner == nullptr || Seniority(other) < Seniority(*owner))) {
        owner = &other;
        contested = m;
      }
    }
  }
  if (owner == nullptr) return std::nullopt;
  return TopicError{
      std::string(kReasonResourceConflict),
      "topic " + contested + " is already used by NotificationChannel " + ChannelKey(*owner) +
          ", created earlier; re-create this channel with another spec.kafka.topic, or delete that channel"};
}

}  // namespace herald::op
