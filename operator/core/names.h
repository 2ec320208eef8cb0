#pragma once
// Names and labels the operator gives to what it creates (contracts.md,
// "Names"): Kafka topics, the consumer group, child objects and their labels.
// Users, heraldctl and the tests find things by these names, so every rule
// here is deterministic: the same channel always yields the same names.
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "herald/result.h"
#include "operator/core/channel.h"

namespace herald::op {

inline constexpr std::string_view kManagedByLabel = "app.kubernetes.io/managed-by";
inline constexpr std::string_view kManagedByValue = "herald-operator";
inline constexpr std::string_view kPartOfLabel = "app.kubernetes.io/part-of";
inline constexpr std::string_view kPartOfValue = "herald";
inline constexpr std::string_view kNameLabel = "app.kubernetes.io/name";
inline constexpr std::string_view kSidecarName = "herald-sidecar";  // the label value and the container name
inline constexpr std::string_view kInstanceLabel = "app.kubernetes.io/instance";
inline constexpr std::string_view kChannelLabel = "herald.dev/channel";
inline constexpr std::string_view kConfigHashAnnotation = "herald.dev/config-hash";

inline constexpr size_t kMaxTopicLength = 249;  // Kafka's limit
inline constexpr std::string_view kDeadLetterSuffix = ".dlq";
// Label values and the names of Services (RFC 1035 labels) are limited to 63.
inline constexpr size_t kMaxLabelLength = 63;

// Returns "herald.<namespace>.<name>".
[[nodiscard]] std::string DefaultTopicName(std::string_view namespace_name, std::string_view name);
// Returns spec.kafka.topic when set, otherwise DefaultTopicName.
[[nodiscard]] std::string TopicName(const Channel& channel);
// Returns "<topic>.dlq".
[[nodiscard]] std::string DeadLetterTopicName(std::string_view topic);
// True when two channels with these topics would share a Kafka topic: the
// same topic, or one's topic is the other's dead-letter topic. Allocates
// nothing: it runs over every cached channel on each reconcile.
[[nodiscard]] bool TopicsClash(std::string_view topic, std::string_view other_topic);
// Returns "herald.<namespace>.<name>", also when spec.kafka.topic is set: the
// group belongs to the channel, not to the topic.
[[nodiscard]] std::string ConsumerGroup(const Channel& channel);

// Returns OkStatus() when Kafka accepts `topic` as a topic name: 1 to 249
// characters from [a-zA-Z0-9._-], not "." or "..", not starting with "__"
// (internal topics). Otherwise an Error that starts with the quoted name, e.g.
// "\"herald.a.b\" is 251 characters, over Kafka's limit of 249".
[[nodiscard]] Status ValidateTopicName(std::string_view topic);

// Returns the name shared by the channel's children (ConfigMap, Deployment,
// Service, HPA, PDB): "herald-<name>" + suffix when that is a valid RFC 1035
// label (at most 63 characters of [a-z0-9-], no dots; Services need this).
// Otherwise dots become '-' and the name is cut to fit, ending in '-' and the
// first 8 hex digits of SHA-256(channel name + suffix), so distinct channels
// keep distinct names and the result never changes between releases.
// `suffix` (e.g. "-kafka") is kept intact.
[[nodiscard]] std::string ChildName(std::string_view channel_name, std::string_view suffix = "");

// Returns `value` when it fits a label value (at most 63 characters), else
// its first characters, '-' and 8 hex digits of its SHA-256 (63 in total).
// Channel names are DNS subdomains, so the characters are always valid.
[[nodiscard]] std::string LabelValue(std::string_view value);

// Returns the labels on every child: managed-by, part-of, name
// (herald-sidecar), instance (ChildName) and herald.dev/channel
// (LabelValue of the channel name).
[[nodiscard]] nlohmann::json Labels(const Channel& channel);
// Returns the subset that selects the channel's worker pods (name and
// herald.dev/channel). A Deployment's selector is immutable: never change it.
[[nodiscard]] nlohmann::json SelectorLabels(const Channel& channel);

}  // namespace herald::op
