#include "operator/core/status.h"

#include <gtest/gtest.h>

#include <functional>

#include "operator/core/conditions.h"
#include "operator/core/test_fixtures.h"

using namespace std::chrono_literals;

namespace herald::op {
namespace {

using fixtures::MinimalChannelJson;
using fixtures::MustParse;
using nlohmann::json;

// Everything as desired for the minimal channel (6 partitions, RF 1, 2 workers).
ChannelObservation Healthy() {
  ChannelObservation o;
  o.topic = {true, 6, 1, {}};
  o.dead_letter_topic = {true, 6, 1, {}};
  o.deployment = ObservedDeployment{4, 4, 2, 2, 2, 2, 2};
  o.template_state = {true, true, "", true};
  return o;
}

struct Want {
  std::string status;
  std::string reason;
};

void ExpectCondition(const ChannelStatus& s, std::string_view type, const Want& want) {
  const Condition* c = FindCondition(s.conditions, type);
  ASSERT_NE(c, nullptr) << type;
  EXPECT_EQ(c->status, want.status) << type << ": " << c->message;
  EXPECT_EQ(c->reason, want.reason) << type << ": " << c->message;
}

TEST(ComputeChannelStatusTest, Healthy) {
  const Channel c = MustParse(MinimalChannelJson());
  const ChannelStatus s = ComputeChannelStatus(c, Healthy());
  EXPECT_EQ(s.observed_generation, 3);
  EXPECT_EQ(s.topic, "herald.team-a.ops-alerts");
  EXPECT_EQ(s.dead_letter_topic, "herald.team-a.ops-alerts.dlq");
  EXPECT_EQ(s.replicas, 2);
  EXPECT_EQ(s.ready_replicas, 2);
  ASSERT_EQ(s.conditions.size(), 4u);
  EXPECT_EQ(s.conditions[0].type, "Ready");
  EXPECT_EQ(s.conditions[1].type, "TemplateReady");
  EXPECT_EQ(s.conditions[2].type, "TopicReady");
  EXPECT_EQ(s.conditions[3].type, "WorkersReady");
  for (const auto& cond : s.conditions) {
    EXPECT_EQ(cond.status, "True") << cond.type;
    EXPECT_EQ(cond.observed_generation, 3) << cond.type;
    EXPECT_FALSE(cond.message.empty()) << cond.type;
  }
  ExpectCondition(s, kTypeReady, {"True", "Ready"});
}

TEST(ComputeChannelStatusTest, Table) {
  const struct {
    std::string name;
    std::function<void(json&)> edit_channel;
    std::function<void(ChannelObservation&)> edit;
    std::string_view type;  // the condition that goes False (or True with a special reason)
    Want want;
    Want ready;
  } cases[] = {
      {"template missing",
       nullptr,
       [](ChannelObservation& o) { o.template_state = {}; },
       kTypeTemplateReady,
       {"False", "TemplateNotFound"},
       {"False", "TemplateNotFound"}},
      {"template not ready",
       nullptr,
       [](ChannelObservation& o) {
         o.template_state = {true, false, "spec.subject: bad", true};
       },
       kTypeTemplateReady,
       {"False", "TemplateNotReady"},
       {"False", "TemplateNotReady"}},
      {"template edited, not checked yet",
       nullptr,
       [](ChannelObservation& o) {
         o.template_state = {true, false, "the operator has not checked its latest change yet", true, true};
       },
       kTypeTemplateReady,
       {"False", "TemplatePending"},
       {"False", "TemplatePending"}},
      {"template cannot render this type",
       nullptr,
       [](ChannelObservation& o) {
         o.template_state = {true, true, "needs spec.subject", false};
       },
       kTypeTemplateReady,
       {"False", "TemplateUnsupported"},
       {"False", "TemplateUnsupported"}},
      {"topic missing",
       nullptr,
       [](ChannelObservation& o) { o.topic = {}; },
       kTypeTopicReady,
       {"False", "TopicPending"},
       {"False", "TopicPending"}},
      {"dead-letter topic missing",
       nullptr,
       [](ChannelObservation& o) { o.dead_letter_topic = {}; },
       kTypeTopicReady,
       {"False", "TopicPending"},
       {"False", "TopicPending"}},
      {"partitions still 4",
       nullptr,
       [](ChannelObservation& o) { o.topic.partitions = 4; },
       kTypeTopicReady,
       {"False", "PartitionsPending"},
       {"False", "PartitionsPending"}},
      {"more partitions than asked",
       nullptr,
       [](ChannelObservation& o) { o.dead_letter_topic.partitions = 9; },
       kTypeTopicReady,
       {"False", "NotSupported"},
       {"False", "NotSupported"}},
      {"other replication factor",
       nullptr,
       [](ChannelObservation& o) { o.topic.replication_factor = 3; },
       kTypeTopicReady,
       {"False", "NotSupported"},
       {"False", "NotSupported"}},
      {"topic error wins",
       nullptr,
       [](ChannelObservation& o) {
         o.topic_error = TopicError{"ResourceConflict", "owned by x/y"};
       },
       kTypeTopicReady,
       {"False", "ResourceConflict"},
       {"False", "ResourceConflict"}},
      {"kafka down",
       nullptr,
       [](ChannelObservation& o) {
         o.topic_error = TopicError{"KafkaError", "timeout"};
       },
       kTypeTopicReady,
       {"False", "KafkaError"},
       {"False", "KafkaError"}},
      {"no deployment",
       nullptr,
       [](ChannelObservation& o) { o.deployment.reset(); },
       kTypeWorkersReady,
       {"False", "DeploymentNotFound"},
       {"False", "DeploymentNotFound"}},
      {"generation not observed",
       nullptr,
       [](ChannelObservation& o) { o.deployment->observed_generation = 3; },
       kTypeWorkersReady,
       {"False", "Progressing"},
       {"False", "Progressing"}},
      {"rollout: old pods remain",
       nullptr,
       [](ChannelObservation& o) { o.deployment->replicas = 3; },
       kTypeWorkersReady,
       {"False", "Progressing"},
       {"False", "Progressing"}},
      {"rollout: not all updated",
       nullptr,
       [](ChannelObservation& o) { o.deployment->updated_replicas = 1; },
       kTypeWorkersReady,
       {"False", "Progressing"},
       {"False", "Progressing"}},
      {"one unavailable",
       nullptr,
       [](ChannelObservation& o) { o.deployment->available_replicas = 1; },
       kTypeWorkersReady,
       {"False", "Unavailable"},
       {"False", "Unavailable"}},
      {"suspended and scaled to zero",
       [](json& j) { j["spec"]["suspend"] = true; },
       [](ChannelObservation& o) { o.deployment = ObservedDeployment{5, 5, 0, 0, 0, 0, 0}; },
       kTypeWorkersReady,
       {"True", "Suspended"},
       {"True", "Suspended"}},
      {"suspended, pods stopping",
       [](json& j) { j["spec"]["suspend"] = true; },
       [](ChannelObservation& o) { o.deployment = ObservedDeployment{5, 5, 0, 1, 0, 1, 1}; },
       kTypeWorkersReady,
       {"False", "ScalingDown"},
       {"False", "ScalingDown"}},
      {"first failing part names Ready: template before topic",
       nullptr,
       [](ChannelObservation& o) {
         o.template_state = {};
         o.topic = {};
       },
       kTypeTopicReady,
       {"False", "TopicPending"},
       {"False", "TemplateNotFound"}},
      {"HPA-chosen replica count is what counts",
       nullptr,
       [](ChannelObservation& o) { o.deployment = ObservedDeployment{4, 4, 5, 5, 5, 5, 5}; },
       kTypeWorkersReady,
       {"True", "WorkersAvailable"},
       {"True", "Ready"}},
  };
  for (const auto& tc : cases) {
    SCOPED_TRACE(tc.name);
    json j = MinimalChannelJson();
    if (tc.edit_channel) tc.edit_channel(j);
    ChannelObservation o = Healthy();
    tc.edit(o);
    const ChannelStatus s = ComputeChannelStatus(MustParse(j), o);
    ExpectCondition(s, tc.type, tc.want);
    ExpectCondition(s, kTypeReady, tc.ready);
    const Condition* ready = FindCondition(s.conditions, kTypeReady);
    if (tc.ready.status == "False") {
      EXPECT_TRUE(ready->message.find(": ") != std::string::npos) << ready->message;
    }
  }
}

TEST(ComputeChannelStatusTest, ScalingLimitedWarning) {
  const struct {
    json workers;
    json kafka;
    bool suspend;
    bool warned;
    std::string field;
  } cases[] = {
      {json::object(), json::object(), false, false, ""},
      {{{"replicas", 7}}, json::object(), false, true, "spec.workers.replicas (7)"},
      {{{"replicas", 7}}, {{"partitions", 7}}, false, false, ""},
      {{{"autoscaling", {{"maxReplicas", 8}}}},
       json::object(),
       false,
       true,
       "spec.workers.autoscaling.maxReplicas (8)"},
      {{{"autoscaling", {{"maxReplicas", 8}}}}, {{"partitions", 12}}, false, false, ""},
      {{{"replicas", 7}}, json::object(), true, false, ""},
  };
  for (const auto& tc : cases) {
    json j = MinimalChannelJson();
    j["spec"]["workers"] = tc.workers;
    j["spec"]["kafka"] = tc.kafka;
    j["spec"]["suspend"] = tc.suspend;
    const Channel c = MustParse(j);
    ChannelObservation o = Healthy();
    o.topic.partitions = o.dead_letter_topic.partitions = c.kafka.partitions;
    const ChannelStatus s = ComputeChannelStatus(c, o);
    const Condition* w = FindCondition(s.conditions, kTypeScalingLimited);
    ASSERT_EQ(w != nullptr, tc.warned) << tc.workers;
    if (w == nullptr) continue;
    EXPECT_EQ(w->status, "True");
    EXPECT_EQ(w->reason, "ReplicasExceedPartitions");
    EXPECT_NE(w->message.find(tc.field), std::string::npos) << w->message;
    // A warning, not a failure.
    EXPECT_EQ(FindCondition(s.conditions, kTypeReady)->status, "True");
  }
}

TEST(ComputeInvalidChannelStatusTest, ReadyFalse) {
  const ChannelStatus s = ComputeInvalidChannelStatus(7, "spec.kafka.partitions: must be ...");
  EXPECT_EQ(s.observed_generation, 7);
  ASSERT_EQ(s.conditions.size(), 1u);
  EXPECT_EQ(s.conditions[0].type, "Ready");
  EXPECT_EQ(s.conditions[0].status, "False");
  EXPECT_EQ(s.conditions[0].reason, "InvalidSpec");
  EXPECT_EQ(s.conditions[0].message, "spec.kafka.partitions: must be ...");
}

TEST(ObserveDeploymentTest, Table) {
  const struct {
    json object;
    ObservedDeployment want;
  } cases[] = {
      {json::parse(R"({"metadata":{"generation":3},"spec":{"replicas":4},"status":{"observedGeneration":3,
          "replicas":5,"updatedReplicas":4,"readyReplicas":3,"availableReplicas":2}})"),
       {3, 3, 4, 5, 4, 3, 2}},
      {json::parse(R"({"metadata":{"generation":1},"spec":{}})"), {1, 0, 1, 0, 0, 0, 0}},
      {json::parse(R"({"spec":{"replicas":"x"},"status":{"replicas":99999999999}})"), {0, 0, 1, 0, 0, 0, 0}},
      {json::array(), {0, 0, 1, 0, 0, 0, 0}},
  };
  for (const auto& tc : cases) {
    const ObservedDeployment d = ObserveDeployment(tc.object);
    EXPECT_EQ(d.generation, tc.want.generation) << tc.object;
    EXPECT_EQ(d.observed_generation, tc.want.observed_generation) << tc.object;
    EXPECT_EQ(d.spec_replicas, tc.want.spec_replicas) << tc.object;
    EXPECT_EQ(d.replicas, tc.want.replicas) << tc.object;
    EXPECT_EQ(d.updated_replicas, tc.want.updated_replicas) << tc.object;
    EXPECT_EQ(d.ready_replicas, tc.want.ready_replicas) << tc.object;
    EXPECT_EQ(d.available_replicas, tc.want.available_replicas) << tc.object;
  }
}

json TemplateObject(const std::string& ready_status, int64_t generation, int64_t condition_generation,
                    json spec = {{"subject", "s"}, {"text", "t"}}) {
  return {{"metadata", {{"name", "t"}, {"namespace", "team-a"}, {"generation", generation}}},
          {"spec", spec},
          {"status",
           {{"conditions",
             {{{"type", "Ready"},
               {"status", ready_status},
               {"reason", "x"},
               {"message", "broken at spec.text"},
               {"observedGeneration", condition_generation}}}}}}};
}

TEST(ObserveTemplateTest, Table) {
  const json no_status = {{"metadata", {{"generation", 1}}}, {"spec", {{"text", "t"}}}};
  const struct {
    std::string name;
    std::optional<json> object;
    ChannelKind kind;
    bool found, ready, supports;
    std::string message_has;
    bool pending = false;
  } cases[] = {
      {"missing", std::nullopt, ChannelKind::kSlack, false, false, true, ""},
      {"never checked", no_status, ChannelKind::kSlack, true, false, true, "not checked it yet", true},
      {"ready", TemplateObject("True", 2, 2), ChannelKind::kEmail, true, true, true, ""},
      {"stale ready", TemplateObject("True", 3, 2), ChannelKind::kEmail, true, false, true, "latest change", true},
      {"stale not ready", TemplateObject("False", 3, 2), ChannelKind::kEmail, true, false, true, "latest change", true},
      {"not ready", TemplateObject("False", 2, 2), ChannelKind::kEmail, true, false, true, "broken at spec.text"},
      {"ready but no subject for email", TemplateObject("True", 2, 2, {{"text", "t"}}), ChannelKind::kEmail, true, true,
       false, "subject"},
      {"webhook always renders", TemplateObject("True", 2, 2, {{"text", "t"}}), ChannelKind::kWebhook, true, true, true,
       ""},
  };
  for (const auto& tc : cases) {
    SCOPED_TRACE(tc.name);
    const ObservedTemplate t = ObserveTemplate(tc.object ? &*tc.object : nullptr, tc.kind);
    EXPECT_EQ(t.found, tc.found);
    EXPECT_EQ(t.ready, tc.ready);
    EXPECT_EQ(t.supports_channel_type, tc.supports);
    EXPECT_EQ(t.pending, tc.pending);
    EXPECT_NE(t.message.find(tc.message_has), std::string::npos) << t.message;
  }
}

TEST(TemplateStatusTest, ValidateAndCompute) {
  const struct {
    std::string name;
    json spec;
    bool ok;
  } cases[] = {
      {"text only", {{"text", "Hello {{from}}"}}, true},
      {"sample renders",
       json::parse(R"({"contentVersion":1,"subject":"Quota {{content.project}}","text":"{{content.used}}",
          "slack":{"text":"x","blocks":"[{\"type\":\"section\",\"text\":{\"type\":\"mrkdwn\",\"text\":\"{{content.project}}\"}}]"},
          "sample":{"globalId":"00000000-0000-4000-8000-000000000000","from":"docs","createdAt":"2026-01-01T00:00:00Z",
                    "content":{"version":"1.0","project":"demo","used":11}}})"),
       true},
      {"sample output not JSON", json::parse(R"({"webhook":{"body":"{\"used\": {{content.used}"},
          "sample":{"globalId":"00000000-0000-4000-8000-000000000000","from":"docs","createdAt":"2026-01-01T00:00:00Z",
                    "content":{"version":"1.0","used":11}}})"),
       false},
      {"wrong type", {{"subject", 3}}, false},
  };
  for (const auto& tc : cases) {
    SCOPED_TRACE(tc.name);
    const Status v = ValidateTemplate(tc.spec);
    EXPECT_EQ(v.ok(), tc.ok) << (v.ok() ? "" : v.error());
    const TemplateStatus s = ComputeTemplateStatus(5, v);
    EXPECT_EQ(s.observed_generation, 5);
    ASSERT_EQ(s.conditions.size(), 1u);
    EXPECT_EQ(s.conditions[0].type, "Ready");
    EXPECT_EQ(s.conditions[0].status, tc.ok ? "True" : "False");
    EXPECT_EQ(s.conditions[0].reason, tc.ok ? "Valid" : "Invalid");
    if (!tc.ok) {
      EXPECT_EQ(s.conditions[0].message, v.error());
    }
  }
}

TEST(MergeConditionsTest, KeepsTransitionTimeWhileStatusHolds) {
  const auto t0 = std::chrono::sys_days{std::chrono::year{2026} / 1 / 2} + 3h + 4min + 5s + 600ms;
  const auto t1 = t0 + 1h;
  const std::vector<Condition> previous = {
      {"Ready", "True", "Ready", "ok", "2026-01-01T00:00:00Z", 1},
      {"TopicReady", "False", "TopicPending", "creating", "2026-01-01T00:00:00Z", 1},
      {"Gone", "True", "X", "", "2026-01-01T00:00:00Z", 1},
      {"NoTime", "True", "X", "", "", 1},
  };
  const std::vector<Condition> computed = {
      {"Ready", "True", "Ready", "new message", "", 2},      // same status: keep time
      {"TopicReady", "True", "TopicsReady", "done", "", 2},  // changed: now
      {"WorkersReady", "False", "Progressing", "", "", 2},   // new: now
      {"NoTime", "True", "X", "", "", 2},                    // old had no time: now
  };
  const auto merged = MergeConditions(previous, computed, t1);
  ASSERT_EQ(merged.size(), 4u);  // "Gone" dropped
  EXPECT_EQ(merged[0].last_transition_time, "2026-01-01T00:00:00Z");
  EXPECT_EQ(merged[0].message, "new message");
  EXPECT_EQ(merged[0].observed_generation, 2);
  EXPECT_EQ(merged[1].last_transition_time, "2026-01-02T04:04:05Z");
  EXPECT_EQ(merged[2].last_transition_time, "2026-01-02T04:04:05Z");
  EXPECT_EQ(merged[3].last_transition_time, "2026-01-02T04:04:05Z");
  // Idempotent: merging again later changes nothing.
  EXPECT_EQ(MergeConditions(merged, computed, t1 + 1h)[1].last_transition_time, "2026-01-02T04:04:05Z");
}

TEST(FormatConditionTimeTest, Table) {
  using std::chrono::sys_days;
  using std::chrono::year;
  EXPECT_EQ(FormatConditionTime(sys_days{year{1970} / 1 / 1}), "1970-01-01T00:00:00Z");
  EXPECT_EQ(FormatConditionTime(sys_days{year{2026} / 11 / 22} + 10h + 15min + 999ms), "2026-11-22T10:15:00Z");
  EXPECT_EQ(FormatConditionTime(sys_days{year{2024} / 2 / 29} + 23h + 59min + 59s), "2024-02-29T23:59:59Z");
}

TEST(ConditionsFromObjectTest, SkipsMalformed) {
  const json object = json::parse(R"({"status":{"conditions":[
      {"type":"Ready","status":"True","reason":"Ready","message":"m","lastTransitionTime":"2026-01-01T00:00:00Z",
       "observedGeneration":4},
      {"type":"NoStatus"},
      "garbage",
      {"type":"TopicReady","status":"False","reason":7}]}})");
  const auto conditions = ConditionsFromObject(object);
  ASSERT_EQ(conditions.size(), 2u);
  EXPECT_EQ(conditions[0], (Condition{"Ready", "True", "Ready", "m", "2026-01-01T00:00:00Z", 4}));
  EXPECT_EQ(conditions[1].type, "TopicReady");
  EXPECT_EQ(conditions[1].reason, "");
  EXPECT_TRUE(ConditionsFromObject(json::object()).empty());
  EXPECT_TRUE(ConditionsFromObject(json::parse(R"({"status":{"conditions":{}}})")).empty());
}

TEST(StatusObjectTest, ApplyShape) {
  const Channel c = MustParse(MinimalChannelJson());
  ChannelStatus s = ComputeChannelStatus(c, Healthy());
  s.conditions = MergeConditions({}, s.conditions, std::chrono::sys_days{std::chrono::year{2026} / 1 / 1});
  const json obj = ChannelStatusObject(c.namespace_name, c.name, s);
  EXPECT_EQ(obj["apiVersion"], "herald.dev/v1alpha1");
  EXPECT_EQ(obj["kind"], "NotificationChannel");
  EXPECT_EQ(obj["metadata"], json({{"name", "ops-alerts"}, {"namespace", "team-a"}}));
  EXPECT_EQ(obj["status"]["topic"], "herald.team-a.ops-alerts");
  EXPECT_EQ(obj["status"]["deadLetterTopic"], "herald.team-a.ops-alerts.dlq");
  EXPECT_EQ(obj["status"]["observedGeneration"], 3);
  EXPECT_EQ(obj["status"]["replicas"], 2);
  EXPECT_EQ(obj["status"]["readyReplicas"], 2);
  EXPECT_EQ(obj["status"]["conditions"][0],
            json::parse(R"({"type":"Ready","status":"True","reason":"Ready","message":")" + s.conditions[0].message +
                        R"(","lastTransitionTime":"2026-01-01T00:00:00Z","observedGeneration":3})"));
  // Round trip through the reader.
  EXPECT_EQ(ConditionsFromObject(obj), s.conditions);

  const json tobj = TemplateStatusObject("team-a", "t", ComputeTemplateStatus(2, OkStatus()));
  EXPECT_EQ(tobj["kind"], "Template");
  EXPECT_EQ(tobj["status"]["observedGeneration"], 2);
  EXPECT_EQ(tobj["status"]["conditions"][0]["reason"], "Valid");
}

}  // namespace
}  // namespace herald::op
