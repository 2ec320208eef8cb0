#include "operator/kafka/fake_topic_admin.h"

#include <algorithm>
#include <charconv>

namespace herald::kafka {
namespace {

// Kafka 4.1's topic configs and their defaults, as the local stack's broker
// reports them (DescribeConfigs of a topic without overrides).
const std::map<std::string, std::string>& Defaults() {
  static const auto* defaults = new std::map<std::string, std::string>{
      {"cleanup.policy", "delete"},
      {"compression.gzip.level", "-1"},
      {"compression.lz4.level", "9"},
      {"compression.type", "producer"},
      {"compression.zstd.level", "3"},
      {"delete.retention.ms", "86400000"},
      {"file.delete.delay.ms", "60000"},
      {"flush.messages", "9223372036854775807"},
      {"flush.ms", "9223372036854775807"},
      {"follower.replication.throttled.replicas", ""},
      {"index.interval.bytes", "4096"},
      {"leader.replication.throttled.replicas", ""},
      {"local.retention.bytes", "-2"},
      {"local.retention.ms", "-2"},
      {"max.compaction.lag.ms", "9223372036854775807"},
      {"max.message.bytes", "1048588"},
      {"message.timestamp.after.max.ms", "3600000"},
      {"message.timestamp.before.max.ms", "9223372036854775807"},
      {"message.timestamp.type", "CreateTime"},
      {"min.cleanable.dirty.ratio", "0.5"},
      {"min.compaction.lag.ms", "0"},
      {"min.insync.replicas", "1"},
      {"preallocate", "false"},
      {"remote.log.copy.disable", "false"},
      {"remote.log.delete.on.disable", "false"},
      {"remote.storage.enable", "false"},
      {"retention.bytes", "-1"},
      {"retention.ms", "604800000"},
      {"segment.bytes", "1073741824"},
      {"segment.index.bytes", "10485760"},
      {"segment.jitter.ms", "0"},
      {"segment.ms", "604800000"},
      {"unclean.leader.election.enable", "false"},
  };
  return *defaults;
}

KafkaError Err(std::string_view code, std::string message) { return KafkaError{std::string(code), std::move(message)}; }

// Kafka's topic name rules (org.apache.kafka.common.internals.Topic).
std::optional<KafkaError> CheckName(const std::string& name) {
  if (name.empty() || name == "." || name == "..") {
    return Err(kErrInvalidTopic, "Topic name is invalid: '" + name + "'");
  }
  if (name.size() > 249) {
    return Err(kErrInvalidTopic,
               "Topic name is invalid: the length of '" + name + "' is longer than the max allowed length 249");
  }
  const bool legal = std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
           c == '-';
  });
  if (!legal) {
    return Err(kErrInvalidTopic, "Topic name is invalid: '" + name +
                                     "' contains one or more characters other than ASCII alphanumerics, '.', '_' "
                                     "and '-'");
  }
  return std::nullopt;
}

// Kafka refuses names that differ from an existing one only by '.' versus
// '_' (they collide in metric names).
std::string Unified(std::string name) {
  std::replace(name.begin(), name.end(), '.', '_');
  return name;
}

// Rejects unknown keys and, for numeric keys, values that are not numbers:
// the two config mistakes Herald can make.
std::optional<KafkaError> CheckConfigs(const std::map<std::string, std::string>& configs) {
  for (const auto& [key, value] : configs) {
    const auto it = Defaults().find(key);
    if (it == Defaults().end()) return Err(kErrInvalidConfig, "Unknown topic config name: " + key);
    const std::string& def = it->second;
    const bool numeric =
        !def.empty() && (def[0] == '-' || (def[0] >= '0' && def[0] <= '9')) && def.find('.') == std::string::npos;
    if (!numeric) continue;
    long long n = 0;
    const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
    if (ec != std::errc{} || end != value.data() + value.size()) {
      return Err(kErrInvalidConfig,
                 "Invalid value " + value + " for configuration " + key + ": Not a number of type LONG");
    }
  }
  return std::nullopt;
}

KafkaError Unreachable() { return Err("_TRANSPORT", "fake Kafka is unreachable"); }

}  // namespace

void FakeTopicAdmin::Record(std::string call, std::vector<std::string> topics) {
  requests_.push_back(Request{std::move(call), std::move(topics)});
}

std::optional<KafkaError> FakeTopicAdmin::Injected(const std::string& name) const {
  if (unreachable_) return Unreachable();
  const auto it = failures_.find(name);
  if (it == failures_.end()) return std::nullopt;
  return it->second;
}

std::vector<TopicDescription> FakeTopicAdmin::DescribeTopics(const std::vector<std::string>& names) {
  std::lock_guard lock(mu_);
  std::vector<TopicDescription> out(names.size());
  if (names.empty()) return out;
  Record("DescribeTopics", names);
  for (size_t i = 0; i < names.size(); ++i) {
    TopicDescription& d = out[i];
    d.name = names[i];
    if ((d.error = Injected(d.name))) continue;
    const auto it = topics_.find(d.name);
    if (it == topics_.end()) continue;
    d.exists = true;
    d.partitions = it->second.partitions;
    d.replication_factor = it->second.replication_factor;
    d.configs = it->second.configs;
    d.effective_configs = Defaults();
    for (const auto& [k, v] : d.configs) d.effective_configs[k] = v;
  }
  return out;
}

std::vector<CreateTopicResult> FakeTopicAdmin::CreateTopics(const std::vector<TopicSpec>& topics) {
  std::lock_guard lock(mu_);
  std::vector<CreateTopicResult> out(topics.size());
  std::vector<std::string> names;
  std::set<std::string> seen;
  for (const auto& t : topics) names.push_back(t.name);
  if (!names.empty()) Record("CreateTopics", names);
  for (size_t i = 0; i < topics.size(); ++i) {
    const TopicSpec& t = topics[i];
    CreateTopicResult& r = out[i];
    r.name = t.name;
    // The same checks, in the same order, as librdkafka and then the broker.
    if (!seen.insert(t.name).second) {
      r.error = Err(kErrInvalidArg, "topic " + t.name + " is listed twice in one request");
    } else if (t.partitions < -1 || t.replication_factor < -1) {
      r.error = Err(kErrInvalidArg, "num_partitions or replication_factor out of expected range");
    } else if ((r.error = Injected(t.name))) {
    } else if ((r.error = CheckName(t.name))) {
    } else if (topics_.contains(t.name)) {
      r.status = CreateStatus::kAlreadyExists;
      continue;
    } else if (t.partitions == 0) {
      r.error = Err(kErrInvalidPartitions, "Number of partitions was set to an invalid non-positive value.");
    } else if (t.replication_factor == 0) {
      r.error = Err(kErrInvalidReplicationFactor,
                    "Replication factor must be larger than 0, or -1 to use the default "
                    "value.");
    } else if (t.replication_factor > brokers_) {
      r.error = Err(kErrInvalidReplicationFactor,
                    "Unable to replicate the partition " + std::to_string(t.replication_factor) +
                        " time(s): The target replication factor of " + std::to_string(t.replication_factor) +
                        " cannot be reached because only " + std::to_string(brokers_) + " broker(s) are registered.");
    } else if ((r.error = CheckConfigs(t.configs))) {
    } else {
      const auto clash = std::find_if(topics_.begin(), topics_.end(),
                                      [&](const auto& kv) { return Unified(kv.first) == Unified(t.name); });
      if (clash != topics_.end()) {
        r.error = Err(kErrInvalidTopic, "Topic '" + t.name + "' collides with existing topic: " + clash->first);
      } else {
        // -1 means the broker's defaults, num.partitions and
        // default.replication.factor: both 1 unless configured.
        topics_[t.name] = Topic{t.partitions == -1 ? 1 : t.partitions,
                                t.replication_factor == -1 ? 1 : t.replication_factor, t.configs};
        r.status = CreateStatus::kCreated;
        continue;
      }
    }
    r.status = CreateStatus::kError;
  }
  return out;
}

std::vector<TopicResult> FakeTopicAdmin::CreatePartitions(const std::vector<PartitionIncrease>& increases) {
  std::lock_guard lock(mu_);
  std::vector<TopicResult> out(increases.size());
  std::vector<std::string> names;
  std::set<std::string> seen;
  for (const auto& inc : increases) names.push_back(inc.name);
  if (!names.empty()) Record("CreatePartitions", names);
  for (size_t i = 0; i < increases.size(); ++i) {
    const PartitionIncrease& inc = increases[i];
    TopicResult& r = out[i];
    r.name = inc.name;
    if (!seen.insert(inc.name).second) {
      r.error = Err(kErrInvalidArg, "topic " + inc.name + " is listed twice in one request");
    } else if (inc.total_partitions < 1) {
      r.error = Err(kErrInvalidArg, "total partitions must be at least 1, got " + std::to_string(inc.total_partitions));
    } else if ((r.error = Injected(inc.name))) {
    } else if (auto it = topics_.find(inc.name); it == topics_.end()) {
      r.error = Err(kErrUnknownTopic, "Broker: Unknown topic or partition");
    } else if (inc.total_partitions == it->second.partitions) {
      r.error =
          Err(kErrInvalidPartitions, "Topic already has " + std::to_string(inc.total_partitions) + " partition(s).");
    } else if (inc.total_partitions < it->second.partitions) {
      r.error = Err(kErrInvalidPartitions, "The topic " + inc.name + " currently has " +
                                               std::to_string(it->second.partitions) + " partition(s); " +
                                               std::to_string(inc.total_partitions) + " would not be an increase.");
    } else {
      it->second.partitions = inc.total_partitions;
    }
  }
  return out;
}

std::vector<TopicResult> FakeTopicAdmin::AlterConfigs(const std::vector<TopicConfigs>& topics) {
  std::lock_guard lock(mu_);
  std::vector<TopicResult> out(topics.size());
  std::vector<std::string> names;
  std::set<std::string> seen;
  for (const auto& t : topics) names.push_back(t.name);
  if (!names.empty()) Record("AlterConfigs", names);
  for (size_t i = 0; i < topics.size(); ++i) {
    const TopicConfigs& t = topics[i];
    TopicResult& r = out[i];
    r.name = t.name;
    if (!seen.insert(t.name).second) {
      r.error = Err(kErrInvalidArg, "topic " + t.name + " is listed twice in one request");
    } else if ((r.error = Injected(t.name))) {
    } else if (auto it = topics_.find(t.name); it == topics_.end()) {
      r.error = Err(kErrUnknownTopic, "The topic '" + t.name + "' does not exist.");
    } else if ((r.error = CheckConfigs(t.configs))) {
    } else {
      it->second.configs = t.configs;  // the whole set: what AlterConfigs does
    }
  }
  return out;
}

std::vector<TopicResult> FakeTopicAdmin::DeleteTopics(const std::vector<std::string>& names) {
  std::lock_guard lock(mu_);
  std::vector<TopicResult> out(names.size());
  std::set<std::string> seen;
  if (!names.empty()) Record("DeleteTopics", names);
  for (size_t i = 0; i < names.size(); ++i) {
    TopicResult& r = out[i];
    r.name = names[i];
    if (!seen.insert(r.name).second) {
      r.error = Err(kErrInvalidArg, "topic " + r.name + " is listed twice in one request");
    } else if ((r.error = Injected(r.name))) {
    } else {
      topics_.erase(r.name);  // a missing topic is success, as in the real admin
    }
  }
  return out;
}

Status FakeTopicAdmin::Ping() {
  std::lock_guard lock(mu_);
  if (unreachable_) return Error{"kafka: no broker answered at fake: _TRANSPORT: fake Kafka is unreachable"};
  return OkStatus();
}

void FakeTopicAdmin::Seed(const std::string& name, Topic topic) {
  std::lock_guard lock(mu_);
  topics_[name] = std::move(topic);
}

std::optional<FakeTopicAdmin::Topic> FakeTopicAdmin::Get(const std::string& name) const {
  std::lock_guard lock(mu_);
  const auto it = topics_.find(name);
  if (it == topics_.end()) return std::nullopt;
  return it->second;
}

void FakeTopicAdmin::SetUnreachable(bool unreachable) {
  std::lock_guard lock(mu_);
  unreachable_ = unreachable;
}

void FakeTopicAdmin::FailTopic(const std::string& name, KafkaError error) {
  std::lock_guard lock(mu_);
  failures_[name] = std::move(error);
}

void FakeTopicAdmin::ClearFailures() {
  std::lock_guard lock(mu_);
  failures_.clear();
}

std::vector<FakeTopicAdmin::Request> FakeTopicAdmin::Requests() const {
  std::lock_guard lock(mu_);
  return requests_;
}

void FakeTopicAdmin::ClearRequests() {
  std::lock_guard lock(mu_);
  requests_.clear();
}

}  // namespace herald::kafka
