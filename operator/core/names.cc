#include "operator/core/names.h"

#include "operator/core/hash.h"

namespace herald::op {
namespace {

constexpr size_t kHashLength = 8;

bool IsLowerAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

bool IsRfc1035Label(std::string_view s) {
  if (s.empty() || s.size() > kMaxLabelLength) return false;
  if (!(s.front() >= 'a' && s.front() <= 'z') || !IsLowerAlnum(s.back())) return false;
  for (const char c : s) {
    if (!IsLowerAlnum(c) && c != '-') return false;
  }
  return true;
}

// Cuts `prefix` so that prefix + "-" + hash + suffix fits `limit`, without
// leaving a separator at the cut.
std::string Truncated(std::string prefix, std::string_view hashed, std::string_view suffix, size_t limit) {
  const size_t keep = limit - kHashLength - 1 - suffix.size();
  if (prefix.size() > keep) prefix.resize(keep);
  while (!prefix.empty() && (prefix.back() == '-' || prefix.back() == '.')) prefix.pop_back();
  return prefix + "-" + Sha256Hex(hashed).substr(0, kHashLength) + std::string(suffix);
}

}  // namespace

std::string DefaultTopicName(std::string_view namespace_name, std::string_view name) {
  return "herald." + std::string(namespace_name) + "." + std::string(name);
}

std::string TopicName(const Channel& channel) {
  return channel.kafka.topic ? *channel.kafka.topic : DefaultTopicName(channel.namespace_name, channel.name);
}

std::string DeadLetterTopicName(std::string_view topic) { return std::string(topic) + std::string(kDeadLetterSuffix); }

bool TopicsClash(std::string_view topic, std::string_view other_topic) {
  auto is_dead_letter_of = [](std::string_view dlq, std::string_view t) {
    return dlq.size() == t.size() + kDeadLetterSuffix.size() && dlq.starts_with(t) && dlq.ends_with(kDeadLetterSuffix);
  };
  return topic == other_topic || is_dead_letter_of(topic, other_topic) || is_dead_letter_of(other_topic, topic);
}

std::string ConsumerGroup(const Channel& channel) { return DefaultTopicName(channel.namespace_name, channel.name); }

Status ValidateTopicName(std::string_view topic) {
  const std::string quoted = "\"" + std::string(topic) + "\"";
  if (topic.empty()) return Error{"\"\" is empty; a Kafka topic needs at least one character"};
  if (topic.size() > kMaxTopicLength) {
    return Error{quoted + " is " + std::to_string(topic.size()) + " characters, over Kafka's limit of " +
                 std::to_string(kMaxTopicLength)};
  }
  if (topic == "." || topic == "..") return Error{quoted + " is not allowed as a Kafka topic name"};
  if (topic.starts_with("__")) return Error{quoted + " starts with \"__\", which Kafka reserves for internal topics"};
  for (const char c : topic) {
    const bool ok = IsLowerAlnum(c) || (c >= 'A' && c <= 'Z') || c == '.' || c == '_' || c == '-';
    if (!ok) return Error{quoted + " contains characters Kafka refuses: use only letters, digits, '.', '_' and '-'"};
  }
  return OkStatus();
}

std::string ChildName(std::string_view channel_name, std::string_view suffix) {
  std::string plain = "herald-" + std::string(channel_name) + std::string(suffix);
  if (IsRfc1035Label(plain)) return plain;
  std::string prefix = "herald-" + std::string(channel_name);
  for (char& c : prefix) {
    if (c == '.') c = '-';
  }
  return Truncated(std::move(prefix), std::string(channel_name) + std::string(suffix), suffix, kMaxLabelLength);
}

std::string LabelValue(std::string_view value) {
  if (value.size() <= kMaxLabelLength) return std::string(value);
  return Truncated(std::string(value), value, "", kMaxLabelLength);
}

nlohmann::json Labels(const Channel& channel) {
  return {
      {std::string(kManagedByLabel), kManagedByValue},
      {std::string(kPartOfLabel), kPartOfValue},
      {std::string(kNameLabel), kSidecarName},
      {std::string(kInstanceLabel), ChildName(channel.name)},
      {std::string(kChannelLabel), LabelValue(channel.name)},
  };
}

nlohmann::json SelectorLabels(const Channel& channel) {
  return {
      {std::string(kNameLabel), kSidecarName},
      {std::string(kChannelLabel), LabelValue(channel.name)},
  };
}

}  // namespace herald::op
