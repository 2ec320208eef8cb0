#include "operator/core/status.h"

#include <cstdio>
#include <limits>

#include "herald/render.h"
#include "herald/timefmt.h"
#include "operator/core/conditions.h"
#include "operator/core/names.h"

namespace herald::op {
namespace {

using nlohmann::json;

Condition Make(std::string_view type, std::string_view status, std::string_view reason, std::string message,
               int64_t generation) {
  return Condition{std::string(type), std::string(status), std::string(reason), std::move(message), "", generation};
}

// Reads an integer field; anything else (absent, wrong type, out of range) is `fallback`.
template <typename Int>
Int IntAt(const json& object, const json::json_pointer& ptr, Int fallback) {
  if (!object.contains(ptr)) return fallback;
  const json& v = object.at(ptr);
  if (!v.is_number_integer()) return fallback;
  if (v.is_number_unsigned() && v.get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<Int>::max())) {
    return fallback;
  }
  const auto n = v.get<int64_t>();
  if (n < std::numeric_limits<Int>::min() || n > std::numeric_limits<Int>::max()) return fallback;
  return static_cast<Int>(n);
}

std::string StringAt(const json& object, std::string_view key) {
  const auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::string Plural(int64_t n, std::string_view word) {
  return std::to_string(n) + " " + std::string(word) + (n == 1 ? "" : "s");
}

Condition TemplateCondition(const Channel& channel, const ObservedTemplate& t) {
  const int64_t g = channel.generation;
  const std::string name = "Template " + channel.template_name;
  if (!t.found) {
    return Make(kTypeTemplateReady, kConditionFalse, kReasonTemplateNotFound,
                name + " not found in namespace " + channel.namespace_name + ": create it or fix spec.templateRef.name",
                g);
  }
  if (!t.ready) {
    return Make(kTypeTemplateReady, kConditionFalse, t.pending ? kReasonTemplatePending : kReasonTemplateNotReady,
                name + " is not ready" + (t.message.empty() ? "" : ": " + t.message), g);
  }
  if (!t.supports_channel_type) {
    return Make(kTypeTemplateReady, kConditionFalse, kReasonTemplateUnsupported,
                name + " cannot render for a " + std::string(ChannelKindName(channel.type)) + " channel" +
                    (t.message.empty() ? "" : ": " + t.message),
                g);
  }
  return Make(kTypeTemplateReady, kConditionTrue, kReasonTemplateReady, name + " is ready", g);
}

// Describes what is wrong with one topic, or "" when it is as desired.
std::pair<std::string_view, std::string> TopicProblem(const std::string& name, const ObservedTopic& t,
                                                      const Channel& channel) {
  const int32_t want = channel.kafka.partitions;
  if (!t.exists) return {kReasonTopicPending, "topic " + name + " does not exist yet"};
  if (t.partitions < want) {
    return {kReasonPartitionsPending,
            "topic " + name + " has " + Plural(t.partitions, "partition") + " of " + std::to_string(want)};
  }
  if (t.partitions > want) {
    return {kReasonNotSupported, "topic " + name + " has " + Plural(t.partitions, "partition") +
                                     ", more than spec.kafka.partitions (" + std::to_string(want) +
                                     "): Kafka cannot remove partitions"};
  }
  if (t.replication_factor != 0 && t.replication_factor != channel.kafka.replication_factor) {
    return {kReasonNotSupported, "topic " + name + " has replication factor " + std::to_string(t.replication_factor) +
                                     ", not spec.kafka.replicationFactor (" +
                                     std::to_string(channel.kafka.replication_factor) + ")"};
  }
  return {"", ""};
}

Condition TopicCondition(const Channel& channel, const ChannelObservation& o) {
  const int64_t g = channel.generation;
  if (o.topic_error) return Make(kTypeTopicReady, kConditionFalse, o.topic_error->reason, o.topic_error->message, g);
  const std::string topic = TopicName(channel);
  const std::string dlq = DeadLetterTopicName(topic);
  for (const auto& [name, observed] : {std::pair{topic, &o.topic}, std::pair{dlq, &o.dead_letter_topic}}) {
    auto [reason, message] = TopicProblem(name, *observed, channel);
    if (!reason.empty()) return Make(kTypeTopicReady, kConditionFalse, reason, std::move(message), g);
  }
  return Make(kTypeTopicReady, kConditionTrue, kReasonTopicsReady,
              "topics " + topic + " and " + dlq + " have " + Plural(channel.kafka.partitions, "partition"), g);
}

Condition WorkersCondition(const Channel& channel, const std::optional<ObservedDeployment>& d) {
  const int64_t g = channel.generation;
  if (!d) {
    return Make(kTypeWorkersReady, kConditionFalse, kReasonDeploymentNotFound,
                "Deployment " + ChildName(channel.name) + " not found", g);
  }
  if (d->observed_generation < d->generation) {
    return Make(kTypeWorkersReady, kConditionFalse, kReasonProgressing,
                "the Deployment controller has not yet seen the latest change", g);
  }
  if (channel.suspend) {
    if (d->spec_replicas == 0 && d->replicas == 0) {
      return Make(kTypeWorkersReady, kConditionTrue, kReasonSuspended, "suspended: no workers run", g);
    }
    return Make(kTypeWorkersReady, kConditionFalse, kReasonScalingDown,
                "suspended: " + Plural(d->replicas, "worker") + " still stopping", g);
  }
  const int32_t want = d->spec_replicas;
  if (d->updated_replicas < want || d->replicas > d->updated_replicas) {
    return Make(kTypeWorkersReady, kConditionFalse, kReasonProgressing,
                "rollout in progress: " + std::to_string(d->updated_replicas) + " of " + Plural(want, "worker") +
                    " updated, " + std::to_string(d->replicas) + " running",
                g);
  }
  if (d->available_replicas < want) {
    return Make(kTypeWorkersReady, kConditionFalse, kReasonUnavailable,
                std::to_string(d->available_replicas) + " of " + Plural(want, "worker") + " available", g);
  }
  return Make(kTypeWorkersReady, kConditionTrue, kReasonWorkersAvailable,
              Plural(d->available_replicas, "worker") + " available", g);
}

std::optional<Condition> ScalingCondition(const Channel& channel) {
  if (channel.suspend) return std::nullopt;
  const int32_t partitions = channel.kafka.partitions;
  const auto& as = channel.workers.autoscaling;
  const int32_t most = as ? as->max_replicas : channel.workers.replicas;
  if (most <= partitions) return std::nullopt;
  const std::string field = as ? "spec.workers.autoscaling.maxReplicas" : "spec.workers.replicas";
  return Make(kTypeScalingLimited, kConditionTrue, kReasonReplicasExceedPartitions,
              field + " (" + std::to_string(most) + ") exceeds spec.kafka.partitions (" + std::to_string(partitions) +
                  "): at most " + Plural(partitions, "worker") + " consume, the others sit idle; raise " +
                  "spec.kafka.partitions or lower " + field,
              channel.generation);
}

json ConditionsJson(const std::vector<Condition>& conditions) {
  json out = json::array();
  for (const auto& c : conditions) {
    json j = {{"type", c.type},
              {"status", c.status},
              {"reason", c.reason},
              {"message", c.message},
              {"observedGeneration", c.observed_generation}};
    if (!c.last_transition_time.empty()) j["lastTransitionTime"] = c.last_transition_time;
    out.push_back(std::move(j));
  }
  return out;
}

}  // namespace

ObservedDeployment ObserveDeployment(const json& deployment) {
  ObservedDeployment d;
  if (!deployment.is_object()) return d;
  d.generation = IntAt<int64_t>(deployment, "/metadata/generation"_json_pointer, 0);
  d.observed_generation = IntAt<int64_t>(deployment, "/status/observedGeneration"_json_pointer, 0);
  d.spec_replicas = IntAt<int32_t>(deployment, "/spec/replicas"_json_pointer, 1);
  d.replicas = IntAt<int32_t>(deployment, "/status/replicas"_json_pointer, 0);
  d.updated_replicas = IntAt<int32_t>(deployment, "/status/updatedReplicas"_json_pointer, 0);
  d.ready_replicas = IntAt<int32_t>(deployment, "/status/readyReplicas"_json_pointer, 0);
  d.available_replicas = IntAt<int32_t>(deployment, "/status/availableReplicas"_json_pointer, 0);
  return d;
}

ObservedTemplate ObserveTemplate(const json* template_object, ChannelKind kind) {
  ObservedTemplate t;
  if (template_object == nullptr || !template_object->is_object()) return t;
  t.found = true;
  try {
    const auto conditions = ConditionsFromObject(*template_object);
    const Condition* ready = FindCondition(conditions, kTypeReady);
    const int64_t generation = IntAt<int64_t>(*template_object, "/metadata/generation"_json_pointer, 0);
    if (ready == nullptr) {
      t.message = "the operator has not checked it yet";
      t.pending = true;
      return t;
    }
    if (ready->observed_generation != 0 && generation != 0 && ready->observed_generation != generation) {
      t.message = "the operator has not checked its latest change yet";
      t.pending = true;
      return t;
    }
    if (ready->status != kConditionTrue) {
      t.message = ready->message;
      return t;
    }
    t.ready = true;
    const json spec = template_object->value("spec", json::object());
    auto parsed = ParseTemplateSpec(spec);
    if (!parsed) {
      t.supports_channel_type = false;
      t.message = parsed.error();
      return t;
    }
    if (auto s = Supports(*parsed, kind); !s) {
      t.supports_channel_type = false;
      t.message = s.error();
    }
  } catch (const std::exception& e) {
    t.ready = false;
    t.message = std::string("unreadable Template: ") + e.what();
  }
  return t;
}

ChannelStatus ComputeChannelStatus(const Channel& channel, const ChannelObservation& observed) {
  ChannelStatus s;
  s.observed_generation = channel.generation;
  s.topic = TopicName(channel);
  s.dead_letter_topic = DeadLetterTopicName(s.topic);
  if (observed.deployment) {
    s.replicas = observed.deployment->replicas;
    s.ready_replicas = observed.deployment->ready_replicas;
  }
  const Condition parts[] = {TemplateCondition(channel, observed.template_state), TopicCondition(channel, observed),
                             WorkersCondition(channel, observed.deployment)};
  Condition ready =
      Make(kTypeReady, kConditionTrue, channel.suspend ? kReasonSuspended : kReasonReady,
           channel.suspend ? "suspended: topics kept, no workers run"
                           : "delivering from topic " + s.topic + " with " + Plural(s.ready_replicas, "ready worker"),
           channel.generation);
  for (const Condition& c : parts) {
    if (c.status != kConditionTrue) {
      ready = Make(kTypeReady, kConditionFalse, c.reason, c.type + ": " + c.message, channel.generation);
      break;
    }
  }
  s.conditions.push_back(std::move(ready));
  for (const Condition& c : parts) s.conditions.push_back(c);
  if (auto warning = ScalingCondition(channel)) s.conditions.push_back(std::move(*warning));
  return s;
}

ChannelStatus ComputeInvalidChannelStatus(int64_t generation, std::string_view error) {
  ChannelStatus s;
  s.observed_generation = generation;
  s.conditions.push_back(Make(kTypeReady, kConditionFalse, kReasonInvalidSpec, std::string(error), generation));
  return s;
}

Status ValidateTemplate(const json& template_spec) {
  try {
    auto spec = ParseTemplateSpec(template_spec);
    if (!spec) return Error{spec.error()};
    if (!spec->sample) return OkStatus();
    auto rendered = RenderSample(*spec);
    if (!rendered) return Error{rendered.error()};
    return OkStatus();
  } catch (const std::exception& e) {
    return Error{std::string("spec: ") + e.what()};
  }
}

TemplateStatus ComputeTemplateStatus(int64_t generation, const Status& validation) {
  TemplateStatus s;
  s.observed_generation = generation;
  if (validation.ok()) {
    s.conditions.push_back(Make(kTypeReady, kConditionTrue, kReasonValid, "template is valid", generation));
  } else {
    s.conditions.push_back(Make(kTypeReady, kConditionFalse, kReasonInvalid, validation.error(), generation));
  }
  return s;
}

std::vector<Condition> MergeConditions(const std::vector<Condition>& previous, std::vector<Condition> computed,
                                       std::chrono::system_clock::time_point now) {
  const std::string stamp = FormatConditionTime(now);
  for (Condition& c : computed) {
    const Condition* old = FindCondition(previous, c.type);
    c.last_transition_time = old != nullptr && old->status == c.status && !old->last_transition_time.empty()
                                 ? old->last_transition_time
                                 : stamp;
  }
  return computed;
}

std::vector<Condition> ConditionsFromObject(const json& object) {
  std::vector<Condition> out;
  if (!object.is_object()) return out;
  const auto status = object.find("status");
  if (status == object.end() || !status->is_object()) return out;
  const auto conditions = status->find("conditions");
  if (conditions == status->end() || !conditions->is_array()) return out;
  for (const json& c : *conditions) {
    if (!c.is_object()) continue;
    Condition cond;
    cond.type = StringAt(c, "type");
    cond.status = StringAt(c, "status");
    if (cond.type.empty() || cond.status.empty()) continue;
    cond.reason = StringAt(c, "reason");
    cond.message = StringAt(c, "message");
    cond.last_transition_time = StringAt(c, "lastTransitionTime");
    cond.observed_generation = IntAt<int64_t>(c, "/observedGeneration"_json_pointer, 0);
    out.push_back(std::move(cond));
  }
  return out;
}

const Condition* FindCondition(const std::vector<Condition>& conditions, std::string_view type) {
  for (const auto& c : conditions) {
    if (c.type == type) return &c;
  }
  return nullptr;
}

std::string FormatConditionTime(std::chrono::system_clock::time_point t) { return FormatRfc3339(t, 0); }

json ChannelStatusObject(std::string_view namespace_name, std::string_view name, const ChannelStatus& status) {
  json st = {{"observedGeneration", status.observed_generation},
             {"conditions", ConditionsJson(status.conditions)},
             {"replicas", status.replicas},
             {"readyReplicas", status.ready_replicas}};
  if (!status.topic.empty()) st["topic"] = status.topic;
  if (!status.dead_letter_topic.empty()) st["deadLetterTopic"] = status.dead_letter_topic;
  return {{"apiVersion", "herald.dev/v1alpha1"},
          {"kind", "NotificationChannel"},
          {"metadata", {{"name", name}, {"namespace", namespace_name}}},
          {"status", std::move(st)}};
}

json TemplateStatusObject(std::string_view namespace_name, std::string_view name, const TemplateStatus& status) {
  return {{"apiVersion", "herald.dev/v1alpha1"},
          {"kind", "Template"},
          {"metadata", {{"name", name}, {"namespace", namespace_name}}},
          {"status",
           {{"observedGeneration", status.observed_generation}, {"conditions", ConditionsJson(status.conditions)}}}};
}

}  // namespace herald::op
