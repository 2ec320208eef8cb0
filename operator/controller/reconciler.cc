#include "controller/reconciler.h"

#include <algorithm>
#include <functional>
#include <future>
#include <initializer_list>
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

// A Kubernetes Event on the object, for the EventSink (best effort: events
// never hold up a reconcile).
json EventFor(const json& obj, const std::string& type, const std::string& reason, const std::string& message) {
  const auto& meta = obj["metadata"];
  std::string ns = meta.value("namespace", "");
  const std::string now = op::FormatConditionTime(std::chrono::system_clock::now());
  return {{"apiVersion", "v1"},
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
          {"firstTimestamp", now},
          {"lastTimestamp", now},
          {"count", 1}};
}

// ";type=status/reason@lastTransitionTime;..." of `conditions`: the memory's
// compact copy of the conditions last written (ConditionsFromStates reads it).
std::string ConditionStates(const std::vector<op::Condition>& conditions) {
  std::string out = ";";
  for (const auto& c : conditions) out += c.type + "=" + c.status + "/" + c.reason + "@" + c.last_transition_time + ";";
  return out;
}

// The conditions of a ConditionStates string, as far as MergeConditions and
// EventsForTransitions read them (type, status, reason, lastTransitionTime).
std::vector<op::Condition> ConditionsFromStates(std::string_view states) {
  std::vector<op::Condition> out;
  for (size_t from = 1; from < states.size();) {
    size_t end = states.find(';', from);
    std::string_view entry = states.substr(from, end - from);
    from = end == std::string_view::npos ? states.size() : end + 1;
    size_t eq = entry.find('='), slash = entry.find('/'), at = entry.find('@');
    if (eq == std::string_view::npos || slash == std::string_view::npos || at == std::string_view::npos) continue;
    op::Condition c;
    c.type = entry.substr(0, eq);
    c.status = entry.substr(eq + 1, slash - eq - 1);
    c.reason = entry.substr(slash + 1, at - slash - 1);
    c.last_transition_time = entry.substr(at + 1);
    out.push_back(std::move(c));
  }
  return out;
}

// Reasons of a condition on its way to True (a new channel's topics and
// rollout): passing states, not news. Every channel goes through them.
bool Passing(std::string_view reason) {
  for (std::string_view r :
       {op::kReasonTopicPending, op::kReasonPartitionsPending, op::kReasonDeploymentNotFound, op::kReasonProgressing,
        op::kReasonUnavailable, op::kReasonTemplatePending, op::kReasonScalingDown}) {
    if (reason == r) return true;
  }
  return false;
}

// Emits an Event for each condition transition worth telling a person
// about: Ready becoming True (from another state), or False after being True or for a reason
// that needs someone (not a passing one); another condition becoming False
// for such a reason, or True again after one; ScalingLimited appearing. A
// new channel that simply comes up posts one Event (Ready=True), not one per
// condition and step: at a thousand channels Events cost the API server as
// much as the channels themselves.
void EventsForTransitions(EventSink& sink, const json& obj, const std::vector<op::Condition>& before,
                          const std::vector<op::Condition>& after) {
  for (const auto& cond : after) {
    const op::Condition* was = op::FindCondition(before, cond.type);
    std::string_view was_status = was != nullptr ? std::string_view(was->status) : std::string_view();
    if (was_status == cond.status) continue;
    const bool was_problem = was_status == op::kConditionFalse && !Passing(was->reason);
    const bool is_true = cond.status == op::kConditionTrue;
    bool worth;
    if (cond.type == op::kTypeScalingLimited) {
      worth = is_true;
    } else if (cond.type == op::kTypeReady) {
      // A Template found valid when first checked is not news either.
      worth = (is_true && was != nullptr) || was_status == op::kConditionTrue || (!is_true && !Passing(cond.reason));
    } else {
      worth = is_true ? was_problem : !Passing(cond.reason);
    }
    if (!worth) continue;
    bool bad = !is_true && cond.type != op::kTypeScalingLimited;
    sink.Record(
        EventFor(obj, bad ? "Warning" : "Normal", cond.reason, cond.type + "=" + cond.status + ": " + cond.message));
  }
}

// Never 0, which the memory uses for "nothing remembered".
size_t Hash(std::string_view s) {
  size_t h = std::hash<std::string_view>{}(s);
  return h == 0 ? 1 : h;
}

// Of a status object, lastTransitionTime left out: a pass reading a cache
// that lags behind the previous write computes new times for the very same
// conditions.
size_t StatusHash(json status) {
  if (auto c = status.find("conditions"); c != status.end() && c->is_array()) {
    for (auto& cond : *c) {
      if (cond.is_object()) cond.erase("lastTransitionTime");
    }
  }
  return Hash(status.dump());
}

size_t TopicsHash(const op::TopicSpec& topic, const op::TopicSpec& dlq) {
  std::string s;
  for (const op::TopicSpec* t : {&topic, &dlq}) {
    s += t->name + '\n' + std::to_string(t->partitions) + '/' + std::to_string(t->replication_factor);
    for (const auto& [k, v] : t->configs) s += '\n' + k + '=' + v;
    s += '\0';
  }
  return Hash(s);
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

// A topic as a successful CreateTopics of `spec` left it.
op::ObservedTopic Created(const op::TopicSpec& spec) {
  return {true, spec.partitions, spec.replication_factor > 0 ? spec.replication_factor : 0, spec.configs};
}

struct TopicsOutcome {
  op::ObservedTopic observed[2];
  std::optional<op::TopicError> error;
};

// Brings the channel's two topics to their desired specs with at most one
// admin request per kind of change for both. A successful answer is
// trusted: a topic this call created, grew or configured is not described
// again. `create_first` (a channel seen for the first time, whose topics
// most likely do not exist): CreateTopics straight away, and describe only
// the topics that already existed; otherwise describe first. Topics are
// taken in order and the first refusal (NotSupported) stops there: later
// topics are left alone, as a person has to decide first. `error` is that
// of the first topic that has one.
TopicsOutcome EnsureTopics(kafka::TopicAdmin& admin, const op::TopicSpec (&desired)[2], bool create_first) {
  TopicsOutcome out;
  std::optional<op::TopicError> errors[2];
  bool known[2] = {false, false};  // observed[i] is final (or errors[i] set)
  auto kafka_error = [](const std::string& what) { return op::TopicError{std::string(op::kReasonKafkaError), what}; };
  if (create_first) {
    auto results = admin.CreateTopics({ToKafka(desired[0]), ToKafka(desired[1])});
    for (size_t i = 0; i < 2 && i < results.size(); ++i) {
      if (results[i].status == kafka::CreateStatus::kCreated) {
        out.observed[i] = Created(desired[i]);
        known[i] = true;
      } else if (results[i].status == kafka::CreateStatus::kError) {
        errors[i] = kafka_error("creating " + desired[i].name + ": " + results[i].error->message);
        known[i] = true;
      }  // kAlreadyExists: adoption, decided below
    }
  }
  std::vector<std::string> names;
  std::vector<size_t> at;
  for (size_t i = 0; i < 2; ++i) {
    if (!known[i]) {
      names.push_back(desired[i].name);
      at.push_back(i);
    }
  }
  bool created[2] = {known[0] && !errors[0], known[1] && !errors[1]};
  if (!names.empty()) {
    auto described = admin.DescribeTopics(names);
    for (size_t j = 0; j < at.size(); ++j) {
      size_t i = at[j];
      if (j >= described.size() || described[j].error) {
        errors[i] =
            kafka_error("describing topics: " + (j < described.size() ? described[j].error->message
                                                                      : std::string("describe returned no answer")));
      } else {
        out.observed[i] = FromKafka(described[j]);
      }
    }
  }
  std::map<std::string, size_t> index;
  std::vector<kafka::TopicSpec> create;
  std::vector<kafka::PartitionIncrease> grow;
  std::vector<kafka::TopicConfigs> configure;
  for (size_t i = 0; i < 2; ++i) {
    if (created[i] || errors[i]) continue;
    op::TopicPlan plan = op::PlanTopicChange(desired[i], out.observed[i]);
    if (plan.refusal) {
      errors[i] = plan.refusal;
      break;
    }
    index[desired[i].name] = i;
    if (plan.create) create.push_back(ToKafka(desired[i]));
    if (plan.increase_partitions_to) grow.push_back({desired[i].name, *plan.increase_partitions_to});
    // AlterConfigs replaces the topic's whole dynamic config: send every key we own.
    if (!plan.alter_configs.empty() && !plan.create) configure.push_back({desired[i].name, desired[i].configs});
  }
  auto note = [&](const std::string& name, const std::string& what, const kafka::KafkaError& e) {
    auto it = index.find(name);
    if (it != index.end() && !errors[it->second])
      errors[it->second] = kafka_error(what + " " + name + ": " + e.message);
  };
  std::vector<std::string> raced;  // described as missing, then "already exists"
  if (!create.empty()) {
    for (const auto& r : admin.CreateTopics(create)) {
      if (r.status == kafka::CreateStatus::kError) note(r.name, "creating", *r.error);
      if (r.status == kafka::CreateStatus::kCreated) out.observed[index[r.name]] = Created(desired[index[r.name]]);
      if (r.status == kafka::CreateStatus::kAlreadyExists) raced.push_back(r.name);
    }
  }
  if (!grow.empty()) {
    for (const auto& r : admin.CreatePartitions(grow)) {
      if (!r.ok()) {
        note(r.name, "adding partitions to", *r.error);
      } else if (auto it = index.find(r.name); it != index.end()) {
        out.observed[it->second].partitions = desired[it->second].partitions;
      }
    }
  }
  if (!configure.empty()) {
    for (const auto& r : admin.AlterConfigs(configure)) {
      if (!r.ok()) {
        note(r.name, "configuring", *r.error);
      } else if (auto it = index.find(r.name); it != index.end()) {
        out.observed[it->second].configs = desired[it->second].configs;
      }
    }
  }
  if (!raced.empty()) {  // someone else created it meanwhile: report what is there
    for (const auto& d : admin.DescribeTopics(raced)) {
      if (auto it = index.find(d.name); it != index.end() && !d.error) out.observed[it->second] = FromKafka(d);
    }
  }
  for (auto& e : errors) {
    if (e) {
      out.error = e;
      break;
    }
  }
  return out;
}

// Server-side applies a child. Returns the object as the API server now has it.
Result<json> ApplyChild(kube::Client& c, const kube::Resource& res, const json& obj) {
  auto r = kube::Apply(c, kube::ResourcePath(res, obj["metadata"]["namespace"], obj["metadata"]["name"]), obj,
                       kFieldManager);
  if (!r) return Error{r.error()};
  return std::move(r->body);
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
Result<json> ApplyMetricsService(kube::Client& c, const json& svc) {
  auto st = ApplyChild(c, kServices, svc);
  if (st || st.error().find("HTTP 422") == std::string::npos) return st;
  const json& meta = svc["metadata"];
  if (auto d = DeleteChild(c, kServices, meta["namespace"], meta["name"]); !d.ok()) return Error{d.error()};
  return ApplyChild(c, kServices, svc);
}

// The string at `path` in `object`, read in place, or "" when absent or not
// a string. The per-reconcile scans below visit every cached channel while
// holding the cache's lock: json_pointer parsing, value() copies or
// allocations there cost O(N) per pass, O(N^2) per rollout (at a thousand
// channels they held half of a perf profile's samples of the operator).
const std::string& StringIn(const json& object, std::initializer_list<const char*> path) {
  static const std::string kEmpty;
  const json* at = &object;
  for (const char* key : path) {
    if (!at->is_object()) return kEmpty;
    auto it = at->find(key);
    if (it == at->end()) return kEmpty;
    at = &*it;
  }
  return at->is_string() ? at->get_ref<const std::string&>() : kEmpty;
}

// The other channels in the cache whose topics could clash with this
// channel's, for FindTopicConflict. The topic name is read straight from each
// object, and only candidates are parsed.
std::vector<op::Channel> OtherChannels(const runtime::Store& channels, const op::Channel& channel) {
  const std::string topic = op::TopicName(channel);
  std::vector<op::Channel> others;
  channels.ForEach([&](const json& o) {
    const std::string& ns = StringIn(o, {"metadata", "namespace"});
    const std::string& name = StringIn(o, {"metadata", "name"});
    if (ns == channel.namespace_name && name == channel.name) return;
    const std::string& set = StringIn(o, {"spec", "kafka", "topic"});
    if (!(set.empty() ? op::TopicsClash(topic, op::DefaultTopicName(ns, name)) : op::TopicsClash(topic, set))) return;
    if (auto c = op::ParseChannel(o)) others.push_back(*c);
  });
  return others;
}

}  // namespace

void ChannelReconciler::ForgetAll() {
  std::lock_guard lock(memory_mu_);
  memory_.clear();
  ++memory_epoch_;  // a pass running now must not write its memory back
}

size_t ChannelReconciler::Remembered() const {
  std::lock_guard lock(memory_mu_);
  return memory_.size();
}

ReconcileResult ChannelReconciler::Reconcile(const std::string& key) {
  auto [ns, name] = SplitKey(key);
  auto cached = channels_.Get(key);
  auto forget = [&] {
    std::lock_guard lock(memory_mu_);
    memory_.erase(key);
  };
  if (!cached) {  // deleted: children go with their ownerReferences
    forget();
    return {};
  }
  json obj = std::move(*cached);
  const std::string path = kube::ResourcePath(kChannels, ns, name);
  const json& meta = obj["metadata"];
  const int64_t generation = meta.value("generation", int64_t{0});

  // --- deletion and finalizer
  if (meta.contains("deletionTimestamp")) {
    forget();
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

  // What this process last did for the channel; written back however the
  // pass ends (a failed child apply keeps the topics remembered).
  Memory mem;
  uint64_t epoch = 0;
  {
    std::lock_guard lock(memory_mu_);
    if (auto it = memory_.find(key); it != memory_.end()) mem = it->second;
    epoch = memory_epoch_;
  }
  struct SaveOnExit {
    ChannelReconciler& self;
    const std::string& key;
    Memory& mem;
    uint64_t epoch;
    ~SaveOnExit() {
      std::lock_guard lock(self.memory_mu_);
      if (self.memory_epoch_ == epoch) self.memory_[key] = std::move(mem);
    }
  } save{*this, key, mem, epoch};

  auto previous = op::ConditionsFromObject(obj);
  // Never reported on by any operator process: its topics most likely do
  // not exist, and it has no HPA or PDB to remove (a later full pass, e.g.
  // the resync, still checks).
  const bool fresh = mem.topics_hash == 0 && mem.children_hash == 0 && previous.empty();
  auto write_status = [&](op::ChannelStatus status) -> ReconcileResult {
    // The cache may not show this process's last status write yet (its watch
    // event is on the way, or the watch is reconnecting). The API server then
    // holds that write, not the cached status: compare and merge with it. A
    // stale copy that happens to equal the wanted status proves nothing.
    const bool cache_behind = !mem.status_version.empty() && meta.value("resourceVersion", "") != mem.status_version;
    // The conditions last written, read only when needed (not on an
    // observe-only pass).
    std::vector<op::Condition> written;
    if (cache_behind) written = ConditionsFromStates(mem.condition_states);
    status.conditions =
        op::MergeConditions(cache_behind ? written : previous, status.conditions, std::chrono::system_clock::now());
    json desired = op::ChannelStatusObject(ns, name, status);
    const json& want = desired["status"];
    const size_t hash = StatusHash(want);
    std::string states = ConditionStates(status.conditions);
    if (cache_behind) {
      // Written already: writing it again would only repeat its Events.
      if (mem.status_hash == hash) return {};
    } else if (auto current = obj.find("status"); current != obj.end() && *current == want) {
      mem.status_hash = hash;
      mem.condition_states = std::move(states);
      return {};
    }
    auto r = kube::Apply(client_, path + "/status", desired, kFieldManager);
    if (!r) return Fail(r.error());
    if (!cache_behind) written = ConditionsFromStates(mem.condition_states);
    EventsForTransitions(events_, obj, written.empty() ? previous : written, status.conditions);
    mem.status_hash = hash;
    mem.status_version = r->body.is_object() ? r->body["metadata"].value("resourceVersion", "") : "";
    mem.condition_states = std::move(states);
    return {};
  };

  auto channel = op::ParseChannel(obj);
  if (!channel) {
    mem.topics_hash = mem.children_hash = 0;
    return write_status(op::ComputeInvalidChannelStatus(generation, channel.error()));
  }

  op::ChannelObservation observed;
  // --- template
  auto tref = op::TemplateRef(*channel);
  auto tmpl = templates_.Get(tref.namespace_name + "/" + tref.name);
  observed.template_state = op::ObserveTemplate(tmpl ? &*tmpl : nullptr, channel->type);

  // --- topics: untouched when this process already ensured these very specs.
  // Otherwise they are ensured on another thread while the children are
  // applied below: neither needs the other, and a new channel's pass then
  // takes the longer of the two round-trip chains, not their sum.
  observed.topic_error = op::FindTopicConflict(*channel, OtherChannels(channels_, *channel));
  const bool conflict = observed.topic_error.has_value();
  const op::TopicSpec want_topics[2] = {op::DesiredTopic(*channel), op::DesiredDeadLetterTopic(*channel)};
  const size_t topics_hash = conflict ? 0 : TopicsHash(want_topics[0], want_topics[1]);
  std::future<TopicsOutcome> topics_pending;
  if (conflict) {
    mem.topics_hash = 0;
  } else if (mem.topics_hash == topics_hash) {
    observed.topic = {true, mem.topic_partitions, mem.topic_replication, {}};
    observed.dead_letter_topic = {true, mem.dlq_partitions, mem.dlq_replication, {}};
  } else {
    bool create_first = fresh;
    topics_pending = std::async(std::launch::async, [this, &want_topics, create_first] {
      return EnsureTopics(topics_, want_topics, create_first);
    });
  }
  // Waits for the topics (when they were being ensured) and takes their outcome.
  auto collect_topics = [&] {
    if (!topics_pending.valid()) return;
    TopicsOutcome t = topics_pending.get();
    observed.topic = std::move(t.observed[0]);
    observed.dead_letter_topic = std::move(t.observed[1]);
    observed.topic_error = std::move(t.error);
    mem.topics_hash = observed.topic_error ? 0 : topics_hash;
    mem.topic_partitions = observed.topic.partitions;
    mem.topic_replication = observed.topic.replication_factor;
    mem.dlq_partitions = observed.dead_letter_topic.partitions;
    mem.dlq_replication = observed.dead_letter_topic.replication_factor;
    // Only what the status needs is kept: not the configs.
    observed.topic.configs.clear();
    observed.dead_letter_topic.configs.clear();
  };
  // A failed child apply still records what happened to the topics.
  auto fail = [&](std::string error) {
    collect_topics();
    return Fail(std::move(error));
  };

  // --- workers (only with a template to render into their configuration,
  // and never on a topic another channel owns: they would read its messages)
  bool children_seen = false;  // observed.deployment is set from this pass
  if (tmpl && observed.template_state.found && !conflict) {
    auto yaml = op::RenderSidecarConfig(*channel, tmpl->value("spec", json::object()), settings_);
    if (yaml) {
      // Kafka security settings reach the workers as a Secret in the channel's
      // namespace, applied before the Deployment that mounts it.
      std::optional<std::string_view> kafka_properties;
      std::optional<json> secret;
      if (settings_.kafka_properties) {
        kafka_properties = settings_.kafka_properties_text;
        secret = op::BuildKafkaPropertiesSecret(*channel, *kafka_properties);
      }
      std::string hash = op::ConfigHash(*yaml, kafka_properties);
      json configmap = op::BuildConfigMap(*channel, *yaml);
      json deployment = op::BuildDeployment(*channel, settings_, hash);
      json service = op::BuildMetricsService(*channel);
      auto hpa = op::BuildHorizontalPodAutoscaler(*channel);
      auto pdb = op::BuildPodDisruptionBudget(*channel);
      std::string all = configmap.dump() + deployment.dump() + service.dump();
      all += secret ? secret->dump() : "-";
      all += hpa ? hpa->dump() : "-";
      all += pdb ? pdb->dump() : "-";
      const size_t children_hash = Hash(all);
      const std::string child = op::ChildName(channel->name);

      // Observe-only when these very objects were applied and the children
      // are in the caches as that apply left them (not deleted or edited).
      if (mem.children_hash == children_hash && children_.deployments != nullptr && children_.configmaps != nullptr) {
        auto dep = children_.deployments->Get(ns + "/" + child);
        auto cm = children_.configmaps->Get(ns + "/" + child);
        if (dep && cm && (*dep)["metadata"].value("generation", int64_t{0}) == mem.deployment_generation &&
            (*cm)["metadata"].value("resourceVersion", "") == mem.configmap_version) {
          observed.deployment = op::ObserveDeployment(*dep);
          children_seen = true;
        }
      }
      if (!children_seen) {
        mem.children_hash = 0;
        if (secret) {
          if (auto st = ApplyChild(client_, kSecrets, *secret); !st) return fail(st.error());
        }
        auto cm = ApplyChild(client_, kConfigMaps, configmap);
        if (!cm) return fail(cm.error());
        auto dep = ApplyChild(client_, kDeployments, deployment);
        if (!dep) return fail(dep.error());
        if (auto st = ApplyMetricsService(client_, service); !st) return fail(st.error());
        // An optional child (HPA, PDB) is applied when wanted, else deleted
        // once: never for a channel just seen, whose children cannot exist.
        auto apply_or_delete = [&](const kube::Resource& res, const auto& obj) -> Status {
          if (obj) {
            absent_.Forget(res.plural, ns, child);
            if (auto st = ApplyChild(client_, res, *obj); !st) return Error{st.error()};
          } else if (!fresh && !absent_.Known(res.plural, ns, child)) {
            if (auto st = DeleteChild(client_, res, ns, child); !st.ok()) return st;
            absent_.Remember(res.plural, ns, child);
          }
          return OkStatus();
        };
        if (auto st = apply_or_delete(kHpas, hpa); !st.ok()) return fail(st.error());
        if (auto st = apply_or_delete(kPdbs, pdb); !st.ok()) return fail(st.error());
        // The apply answered with the Deployment as it is now, status included.
        if (dep->is_object()) {
          observed.deployment = op::ObserveDeployment(*dep);
          children_seen = true;
        }
        mem.children_hash = children_hash;
        mem.deployment_generation = dep->is_object() ? (*dep)["metadata"].value("generation", int64_t{0}) : 0;
        mem.configmap_version = cm->is_object() ? (*cm)["metadata"].value("resourceVersion", "") : "";
      }
    } else {
      mem.children_hash = 0;
      observed.template_state.ready = false;
      observed.template_state.message = yaml.error();
    }
  } else {
    mem.children_hash = 0;
  }
  if (!children_seen) {
    const std::string child = op::ChildName(channel->name);
    if (children_.deployments != nullptr) {
      if (auto dep = children_.deployments->Get(ns + "/" + child)) observed.deployment = op::ObserveDeployment(*dep);
    } else {
      auto dep = client_.Send("GET", kube::ResourcePath(kDeployments, ns, child));
      if (dep && dep->ok()) observed.deployment = op::ObserveDeployment(dep->body);
    }
  }

  collect_topics();
  op::ChannelStatus status = op::ComputeChannelStatus(*channel, observed);
  const op::Condition* topic_ready = op::FindCondition(status.conditions, op::kTypeTopicReady);
  const bool topics_ready = topic_ready != nullptr && topic_ready->status == op::kConditionTrue;
  auto result = write_status(std::move(status));
  // Topics not ready (broker, partitions, a conflict with another channel):
  // look again soon, as nothing watched will say when that changes. The
  // rest is watched: the Deployment's rollout, the Template, the channel.
  // (Requeuing every channel every 10 s during a rollout was thousands of
  // passes at a thousand channels.)
  if (result.ok && !topics_ready) result.requeue_after = 10s;
  return result;
}

ReconcileResult TemplateReconciler::Reconcile(const std::string& key) {
  auto [ns, name] = SplitKey(key);
  auto cached = templates_.Get(key);
  // Whatever happened to the template, the channels using it must look
  // again, once the cache holds its status (they read the Ready condition).
  auto requeue_users = [&] {
    std::vector<std::string> users;
    channels_.ForEach([&](const json& ch) {
      if (StringIn(ch, {"spec", "templateRef", "name"}) == name && StringIn(ch, {"metadata", "namespace"}) == ns) {
        users.push_back(ns + "/" + StringIn(ch, {"metadata", "name"}));
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
  EventsForTransitions(events_, obj, previous, status.conditions);
  // No requeue of the users yet: the cache still holds the old status. Its
  // watch event brings this one and another pass, which requeues them.
  return {};
}

}  // namespace herald::controller
