#include "controller/reconciler.h"

#include <algorithm>
#include <map>
#include <set>

#include "controller/resources.h"
#include "herald/log.h"
#include "operator/core/channel.h"
#include "operator/core/children.h"
#include "operator/core/conditions.h"
#include "operator/core/names.h"
#include "operator/core/sidecar_config.h"
#include "operator/core/status.h"
#include "operator/core/topic_spec.h"
#include "runtime/leader_election.h"

namespace herald::controller {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

std::pair<std::string, std::string> SplitKey(const std::string& key) {
  auto slash = key.find('/');
  return {key.substr(0, slash), key.substr(slash + 1)};
}

ReconcileResult Fail(std::string error) { return {false, std::move(error), 0ms}; }

bool HasFinalizer(const json& obj) {
  const auto& f = obj["metadata"].value("finalizers", json::array());
  return std::find(f.begin(), f.end(), kFinalizer) != f.end();
}

// Sets metadata.finalizers with a merge patch that carries resourceVersion, so
// a concurrent change makes it fail (409) instead of losing someone's finalizer.
// Returns false when the object is gone (404): a reconcile of a stale cached
// copy, e.g. just after our own finalizer removal let it go, has nothing to do.
Result<bool> PatchFinalizers(kube::Client& c, const std::string& path, const json& obj, const json& finalizers) {
  json patch = {
      {"metadata", {{"finalizers", finalizers}, {"resourceVersion", obj["metadata"].value("resourceVersion", "")}}}};
  auto r = c.Send("PATCH", path, patch.dump(), "application/merge-patch+json");
  if (!r) return Error{r.error()};
  if (r->status == 404) return false;
  if (!r->ok()) return Error{"patch finalizers: HTTP " + std::to_string(r->status) + ": " + r->message()};
  return true;
}

// A Kubernetes Event on the object; best effort (events must never block a reconcile).
void RecordEvent(kube::Client& c, const json& obj, const std::string& type, const std::string& reason,
                 const std::string& message) {
  const auto& meta = obj["metadata"];
  std::string ns = meta.value("namespace", "");
  json ev = {{"apiVersion", "v1"},
             {"kind", "Event"},
             {"metadata", {{"generateName", meta.value("name", "") + "."}, {"namespace", ns}}},
             {"involvedObject",
              {{"apiVersion", obj.value("apiVersion", "")},
               {"kind", obj.value("kind", "")},
               {"name", meta.value("name", "")},
               {"namespace", ns},
               {"uid", meta.value("uid", "")},
               {"resourceVersion", meta.value("resourceVersion", "")}}},
             {"type", type},
             {"reason", reason},
             {"message", message.substr(0, 1024)},
             {"source", {{"component", "herald-operator"}}},
             {"firstTimestamp", op::FormatConditionTime(std::chrono::system_clock::now())},
             {"lastTimestamp", op::FormatConditionTime(std::chrono::system_clock::now())},
             {"count", 1}};
  (void)c.Send("POST", kube::ResourcePath(kEvents, ns), ev.dump());
}

// Emits an Event for every condition whose status changed.
void EventsForTransitions(kube::Client& c, const json& obj, const std::vector<op::Condition>& before,
                          const std::vector<op::Condition>& after) {
  for (const auto& cond : after) {
    const op::Condition* old = op::FindCondition(before, cond.type);
    if (old != nullptr && old->status == cond.status) continue;
    bool bad = cond.status != op::kConditionTrue && cond.type != op::kTypeScalingLimited;
    RecordEvent(c, obj, bad ? "Warning" : "Normal", cond.reason, cond.type + "=" + cond.status + ": " + cond.message);
  }
}

kafka::TopicSpec ToKafka(const op::TopicSpec& t) { return {t.name, t.partitions, t.replication_factor, t.configs}; }

op::ObservedTopic FromKafka(const kafka::TopicDescription& d) {
  op::ObservedTopic o;
  o.exists = d.exists;
  o.partitions = d.partitions;
  o.replication_factor = d.replication_factor;
  o.configs = d.configs;
  return o;
}

// Brings topics to their desired specs with at most one admin request per
// kind of change for all of them (creates, partition increases, config
// changes), then one describe of the changed ones into `observed`. Topics
// are taken in order and the first refusal (NotSupported) stops there: later
// topics are left alone, as a person has to decide first. Returns the error
// of the first topic that has one.
std::optional<op::TopicError> EnsureTopics(kafka::TopicAdmin& admin, const std::vector<op::TopicSpec>& desired,
                                           const std::vector<op::ObservedTopic*>& observed) {
  std::vector<std::optional<op::TopicError>> errors(desired.size());
  std::map<std::string, size_t> index;
  std::vector<kafka::TopicSpec> create;
  std::vector<kafka::PartitionIncrease> grow;
  std::vector<kafka::TopicConfigs> configure;
  std::vector<std::string> changed;
  for (size_t i = 0; i < desired.size(); ++i) {
    op::TopicPlan plan = op::PlanTopicChange(desired[i], *observed[i]);
    if (plan.refusal) {
      errors[i] = plan.refusal;
      break;
    }
    index[desired[i].name] = i;
    if (plan.create) create.push_back(ToKafka(desired[i]));
    if (plan.increase_partitions_to) grow.push_back({desired[i].name, *plan.increase_partitions_to});
    // AlterConfigs replaces the topic's whole dynamic config: send every key we own.
    if (!plan.alter_configs.empty() && !plan.create) configure.push_back({desired[i].name, desired[i].configs});
    if (!plan.NothingToDo()) changed.push_back(desired[i].name);
  }
  auto note = [&](const std::string& name, const std::string& what, const kafka::KafkaError& e) {
    auto it = index.find(name);
    if (it != index.end() && !errors[it->second]) {
      errors[it->second] = op::TopicError{std::string(op::kReasonKafkaError), what + " " + name + ": " + e.message};
    }
  };
  if (!create.empty()) {
    // "Already exists" for our own topic is adoption: the describe below decides.
    for (const auto& r : admin.CreateTopics(create)) {
      if (r.status == kafka::CreateStatus::kError) note(r.name, "creating", *r.error);
    }
  }
  if (!grow.empty()) {
    for (const auto& r : admin.CreatePartitions(grow)) {
      if (!r.ok()) note(r.name, "adding partitions to", *r.error);
    }
  }
  if (!configure.empty()) {
    for (const auto& r : admin.AlterConfigs(configure)) {
      if (!r.ok()) note(r.name, "configuring", *r.error);
    }
  }
  if (!changed.empty()) {
    for (const auto& d : admin.DescribeTopics(changed)) {
      if (auto it = index.find(d.name); it != index.end() && !d.error) *observed[it->second] = FromKafka(d);
    }
  }
  for (auto& e : errors) {
    if (e) return e;
  }
  return std::nullopt;
}

Status ApplyChild(kube::Client& c, const kube::Resource& res, const json& obj) {
  auto r = kube::Apply(c, kube::ResourcePath(res, obj["metadata"]["namespace"], obj["metadata"]["name"]), obj,
                       kFieldManager);
  if (!r) return Error{r.error()};
  return OkStatus();
}

// Deletes an optional child that the spec no longer wants (404 is fine).
Status DeleteChild(kube::Client& c, const kube::Resource& res, const std::string& ns, const std::string& name) {
  auto r = c.Send("DELETE", kube::ResourcePath(res, ns, name));
  if (!r) return Error{r.error()};
  if (!r->ok() && r->status != 404) return Error{"delete " + name + ": HTTP " + std::to_string(r->status)};
  return OkStatus();
}

// A metrics Service made before it became headless keeps its cluster IP,
// which the API server refuses to change (422): replace it, once.
Status ApplyMetricsService(kube::Client& c, const json& svc) {
  auto st = ApplyChild(c, kServices, svc);
  if (st.ok() || st.error().find("HTTP 422") == std::string::npos) return st;
  const json& meta = svc["metadata"];
  if (auto d = DeleteChild(c, kServices, meta["namespace"], meta["name"]); !d.ok()) return d;
  return ApplyChild(c, kServices, svc);
}

// The other channels in the cache whose topics could clash with this
// channel's, for FindTopicConflict. The topic name is read straight from each
// object, and only candidates are parsed: parsing every channel on every
// reconcile is O(N^2) work at scale.
// The string at `ptr`, or "" when absent or not a string. Reads in place:
// json::value() would copy the whole subtree (metadata, spec) of every
// channel visited.
std::string StringAt(const json& object, const json::json_pointer& ptr) {
  if (!object.contains(ptr)) return "";
  const json& v = object.at(ptr);
  return v.is_string() ? v.get<std::string>() : "";
}

std::vector<op::Channel> OtherChannels(const runtime::Store& channels, const op::Channel& channel) {
  const std::string topic = op::TopicName(channel);
  const std::string dlq = op::DeadLetterTopicName(topic);
  std::vector<op::Channel> others;
  channels.ForEach([&](const json& o) {
    const std::string ns = StringAt(o, "/metadata/namespace"_json_pointer);
    const std::string name = StringAt(o, "/metadata/name"_json_pointer);
    if (ns == channel.namespace_name && name == channel.name) return;
    std::string theirs = StringAt(o, "/spec/kafka/topic"_json_pointer);
    if (theirs.empty()) theirs = op::DefaultTopicName(ns, name);
    if (theirs != topic && theirs != dlq && op::DeadLetterTopicName(theirs) != topic) return;
    if (auto c = op::ParseChannel(o)) others.push_back(*c);
  });
  return others;
}

}  // namespace

ReconcileResult ChannelReconciler::Reconcile(const std::string& key) {
  auto [ns, name] = SplitKey(key);
  auto cached = channels_.Get(key);
  if (!cached) return {};  // deleted: children go with their ownerReferences
  json obj = *cached;
  const std::string path = kube::ResourcePath(kChannels, ns, name);
  const json& meta = obj["metadata"];
  const int64_t generation = meta.value("generation", int64_t{0});

  // --- deletion and finalizer
  if (meta.contains("deletionTimestamp")) {
    if (!HasFinalizer(obj)) return {};
    auto channel = op::ParseChannel(obj);
    bool delete_topics = channel && channel->deletion_policy == op::DeletionPolicy::kDelete;
    // A channel that lost a ResourceConflict never created or used the
    // contested topics: they belong to the older channel and stay.
    if (delete_topics) {
      if (auto conflict = op::FindTopicConflict(*channel, OtherChannels(channels_, *channel))) {
        log::Info("keeping topics owned by another channel", {{"resource", key}, {"reason", conflict->message}});
        delete_topics = false;
      }
    }
    if (delete_topics) {
      std::string topic = op::TopicName(*channel);
      auto results = topics_.DeleteTopics({topic, op::DeadLetterTopicName(topic)});
      for (const auto& r : results) {
        if (!r.ok()) return Fail("deleting topic " + r.name + ": " + r.error->message);
      }
      log::Info("deleted topics", {{"resource", key}, {"topic", topic}});
    }
    json rest = json::array();
    for (const auto& f : meta.value("finalizers", json::array())) {
      if (f != kFinalizer) rest.push_back(f);
    }
    if (auto st = PatchFinalizers(client_, path, obj, rest); !st.ok()) return Fail(st.error());
    return {};
  }
  if (!HasFinalizer(obj)) {
    json f = meta.value("finalizers", json::array());
    f.push_back(kFinalizer);
    auto st = PatchFinalizers(client_, path, obj, f);
    if (!st.ok()) return Fail(st.error());
    if (!*st) return {};  // deleted meanwhile
  }

  auto previous = op::ConditionsFromObject(obj);
  auto write_status = [&](op::ChannelStatus status) -> ReconcileResult {
    status.conditions = op::MergeConditions(previous, status.conditions, std::chrono::system_clock::now());
    json desired = op::ChannelStatusObject(ns, name, status);
    json current = obj.value("status", json::object());
    if (current == desired["status"]) return {};
    auto r = kube::Apply(client_, path + "/status", desired, kFieldManager);
    if (!r) return Fail(r.error());
    EventsForTransitions(client_, obj, previous, status.conditions);
    return {};
  };

  auto channel = op::ParseChannel(obj);
  if (!channel) return write_status(op::ComputeInvalidChannelStatus(generation, channel.error()));

  op::ChannelObservation observed;
  // --- template
  auto tref = op::TemplateRef(*channel);
  auto tmpl = templates_.Get(tref.namespace_name + "/" + tref.name);
  observed.template_state = op::ObserveTemplate(tmpl ? &*tmpl : nullptr, channel->type);

  // --- topics
  observed.topic_error = op::FindTopicConflict(*channel, OtherChannels(channels_, *channel));
  const bool conflict = observed.topic_error.has_value();
  const op::TopicSpec want_topic = op::DesiredTopic(*channel);
  const op::TopicSpec want_dlq = op::DesiredDeadLetterTopic(*channel);
  if (!observed.topic_error) {
    auto described = topics_.DescribeTopics({want_topic.name, want_dlq.name});
    if (described.size() != 2 || described[0].error || described[1].error) {
      std::string why = described.size() == 2 && described[0].error   ? described[0].error->message
                        : described.size() == 2 && described[1].error ? described[1].error->message
                                                                      : "describe returned no answer";
      observed.topic_error = op::TopicError{std::string(op::kReasonKafkaError), "describing topics: " + why};
    } else {
      observed.topic = FromKafka(described[0]);
      observed.dead_letter_topic = FromKafka(described[1]);
      observed.topic_error =
          EnsureTopics(topics_, {want_topic, want_dlq}, {&observed.topic, &observed.dead_letter_topic});
    }
  }

  // --- workers (only with a template to render into their configuration,
  // and never on a topic another channel owns: they would read its messages)
  if (tmpl && observed.template_state.found && !conflict) {
    auto yaml = op::RenderSidecarConfig(*channel, tmpl->value("spec", json::object()), settings_);
    if (yaml) {
      // Kafka security settings reach the workers as a Secret in the channel's
      // namespace, applied before the Deployment that mounts it.
      std::optional<std::string_view> kafka_properties;
      if (settings_.kafka_properties) {
        kafka_properties = settings_.kafka_properties_text;
        if (auto st = ApplyChild(client_, kSecrets, op::BuildKafkaPropertiesSecret(*channel, *kafka_properties));
            !st.ok()) {
          return Fail(st.error());
        }
      }
      std::string hash = op::ConfigHash(*yaml, kafka_properties);
      for (auto st : {ApplyChild(client_, kConfigMaps, op::BuildConfigMap(*channel, *yaml)),
                      ApplyChild(client_, kDeployments, op::BuildDeployment(*channel, settings_, hash)),
                      ApplyMetricsService(client_, op::BuildMetricsService(*channel))}) {
        if (!st.ok()) return Fail(st.error());
      }
      const std::string hpa_name = op::ChildName(channel->name);
      if (auto hpa = op::BuildHorizontalPodAutoscaler(*channel)) {
        absent_.Forget(kHpas.plural, ns, hpa_name);
        if (auto st = ApplyChild(client_, kHpas, *hpa); !st.ok()) return Fail(st.error());
      } else if (!absent_.Known(kHpas.plural, ns, hpa_name)) {
        if (auto st = DeleteChild(client_, kHpas, ns, hpa_name); !st.ok()) return Fail(st.error());
        absent_.Remember(kHpas.plural, ns, hpa_name);
      }
      if (auto pdb = op::BuildPodDisruptionBudget(*channel)) {
        absent_.Forget(kPdbs.plural, ns, hpa_name);
        if (auto st = ApplyChild(client_, kPdbs, *pdb); !st.ok()) return Fail(st.error());
      } else if (!absent_.Known(kPdbs.plural, ns, hpa_name)) {
        if (auto st = DeleteChild(client_, kPdbs, ns, hpa_name); !st.ok()) return Fail(st.error());
        absent_.Remember(kPdbs.plural, ns, hpa_name);
      }
    } else {
      observed.template_state.ready = false;
      observed.template_state.message = yaml.error();
    }
  }
  auto dep = client_.Send("GET", kube::ResourcePath(kDeployments, ns, op::ChildName(channel->name)));
  if (dep && dep->ok()) observed.deployment = op::ObserveDeployment(dep->body);

  auto result = write_status(op::ComputeChannelStatus(*channel, observed));
  if (result.ok) {
    // Not Ready yet (rollout, partitions, broker): look again soon even if no
    // watch event arrives (Kafka changes are not watched).
    bool ready = observed.deployment && !observed.topic_error && observed.template_state.ready &&
                 observed.deployment->available_replicas >= observed.deployment->spec_replicas;
    if (!ready) result.requeue_after = 10s;
  }
  return result;
}

ReconcileResult TemplateReconciler::Reconcile(const std::string& key) {
  auto [ns, name] = SplitKey(key);
  auto cached = templates_.Get(key);
  // Whatever happened to the template, the channels using it must look
  // again, once its status says so (they read the Ready condition).
  auto requeue_users = [&] {
    std::vector<std::string> users;
    channels_.ForEach([&](const json& ch) {
      if (StringAt(ch, "/metadata/namespace"_json_pointer) == ns &&
          StringAt(ch, "/spec/templateRef/name"_json_pointer) == name) {
        users.push_back(ns + "/" + StringAt(ch, "/metadata/name"_json_pointer));
      }
    });
    for (const auto& k : users) requeue_channel_(k);  // outside the store's lock
  };
  if (!cached) {
    requeue_users();
    return {};
  }
  const json& obj = *cached;
  int64_t generation = obj["metadata"].value("generation", int64_t{0});
  auto status = op::ComputeTemplateStatus(generation, op::ValidateTemplate(obj.value("spec", json::object())));
  auto previous = op::ConditionsFromObject(obj);
  status.conditions = op::MergeConditions(previous, status.conditions, std::chrono::system_clock::now());
  json desired = op::TemplateStatusObject(ns, name, status);
  if (obj.value("status", json::object()) == desired["status"]) {
    requeue_users();
    return {};
  }
  auto r = kube::Apply(client_, kube::ResourcePath(kTemplates, ns, name) + "/status", desired, kFieldManager);
  if (!r) return Fail(r.error());
  EventsForTransitions(client_, obj, previous, status.conditions);
  requeue_users();
  return {};
}

}  // namespace herald::controller
