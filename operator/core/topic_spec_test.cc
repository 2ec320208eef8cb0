#include "operator/core/topic_spec.h"

#include <gtest/gtest.h>

#include <vector>

#include "operator/core/conditions.h"
#include "operator/core/test_fixtures.h"

namespace herald::op {
namespace {

using fixtures::MinimalChannelJson;
using fixtures::MustParse;
using nlohmann::json;

TEST(DesiredTopicTest, FromSpec) {
  json j = MinimalChannelJson();
  j["spec"]["kafka"] = {{"partitions", 12}, {"replicationFactor", 3}, {"retention", "72h"}};
  const Channel c = MustParse(j);
  EXPECT_EQ(
      DesiredTopic(c),
      (TopicSpec{"herald.team-a.ops-alerts", 12, 3, {{"cleanup.policy", "delete"}, {"retention.ms", "259200000"}}}));
  EXPECT_EQ(
      DesiredDeadLetterTopic(c),
      (TopicSpec{
          "herald.team-a.ops-alerts.dlq", 12, 3, {{"cleanup.policy", "delete"}, {"retention.ms", "1209600000"}}}));
}

TEST(DesiredTopicTest, DeadLetterRetentionIsAtLeastFourteenDays) {
  const struct {
    std::string retention, topic_ms, dlq_ms;
  } cases[] = {
      {"1s", "1000", "1209600000"},         {"168h", "604800000", "1209600000"}, {"336h", "1209600000", "1209600000"},
      {"720h", "2592000000", "2592000000"}, {"1.5s", "1500", "1209600000"},
  };
  for (const auto& tc : cases) {
    json j = MinimalChannelJson();
    j["spec"]["kafka"] = {{"retention", tc.retention}};
    const Channel c = MustParse(j);
    EXPECT_EQ(DesiredTopic(c).configs.at("retention.ms"), tc.topic_ms) << tc.retention;
    EXPECT_EQ(DesiredDeadLetterTopic(c).configs.at("retention.ms"), tc.dlq_ms) << tc.retention;
  }
}

TEST(PlanTopicChangeTest, Table) {
  const TopicSpec desired{"t", 6, 3, {{"cleanup.policy", "delete"}, {"retention.ms", "1000"}}};
  using Configs = std::map<std::string, std::string>;
  const Configs same = desired.configs;
  const Configs extra = {{"cleanup.policy", "delete"}, {"retention.ms", "1000"}, {"segment.ms", "1"}};
  const Configs old_retention = {{"cleanup.policy", "delete"}, {"retention.ms", "5"}};
  const Configs no_policy = {{"retention.ms", "1000"}};
  const Configs none;
  struct Case {
    std::string name;
    bool exists;
    int32_t partitions;
    int32_t replication_factor;
    const Configs* configs;  // a pointer: GCC 12 warns falsely about maps in these aggregates
    bool create;
    std::optional<int32_t> increase;
    std::vector<std::string> alter;  // keys set to the desired value
    bool refused;
  };
  const Case cases[] = {
      {"missing: create", false, 0, 0, &none, true, std::nullopt, {}, false},
      {"as desired: nothing", true, 6, 3, &same, false, std::nullopt, {}, false},
      {"extra broker configs are not ours", true, 6, 3, &extra, false, std::nullopt, {}, false},
      {"fewer partitions: increase", true, 4, 3, &same, false, 6, {}, false},
      {"retention differs: alter", true, 6, 3, &old_retention, false, std::nullopt, {"retention.ms"}, false},
      {"config missing: alter", true, 6, 3, &no_policy, false, std::nullopt, {"cleanup.policy"}, false},
      {"more partitions: refuse", true, 8, 3, &same, false, std::nullopt, {}, true},
      {"replication factor differs: refuse", true, 6, 1, &same, false, std::nullopt, {}, true},
      {"unknown replication factor: accept", true, 6, 0, &same, false, std::nullopt, {}, false},
      {"refusal keeps the supported changes", true, 4, 1, &none, false, 6, {"cleanup.policy", "retention.ms"}, true},
  };
  for (const auto& tc : cases) {
    SCOPED_TRACE(tc.name);
    const TopicPlan plan =
        PlanTopicChange(desired, ObservedTopic{tc.exists, tc.partitions, tc.replication_factor, *tc.configs});
    EXPECT_EQ(plan.create, tc.create);
    EXPECT_EQ(plan.increase_partitions_to, tc.increase);
    Configs want_alter;
    for (const auto& key : tc.alter) want_alter[key] = desired.configs.at(key);
    EXPECT_EQ(plan.alter_configs, want_alter);
    EXPECT_EQ(plan.refusal.has_value(), tc.refused);
    if (plan.refusal) {
      EXPECT_EQ(plan.refusal->reason, kReasonNotSupported);
    }
    EXPECT_EQ(plan.NothingToDo(), !tc.create && !tc.increase && tc.alter.empty());
  }
}

TEST(PlanTopicChangeTest, RefusalSaysWhatToDo) {
  const TopicSpec desired{"t", 6, 3, {}};
  const TopicPlan plan = PlanTopicChange(desired, {true, 8, 1, {}});
  ASSERT_TRUE(plan.refusal);
  EXPECT_NE(plan.refusal->message.find("Kafka cannot remove partitions"), std::string::npos) << plan.refusal->message;
  EXPECT_NE(plan.refusal->message.find("replication factor 1"), std::string::npos) << plan.refusal->message;
}

Channel Named(const std::string& ns, const std::string& name, const std::string& uid, const std::string& created,
              std::optional<std::string> topic = std::nullopt) {
  json j = MinimalChannelJson();
  j["metadata"]["namespace"] = ns;
  j["metadata"]["name"] = name;
  j["metadata"]["uid"] = uid;
  j["metadata"]["creationTimestamp"] = created;
  if (topic) j["spec"]["kafka"] = {{"topic", *topic}};
  return MustParse(j);
}

TEST(FindTopicConflictTest, Table) {
  const Channel old_default = Named("a", "b", "u1", "2026-01-01T00:00:00Z");  // herald.a.b
  const Channel young_override = Named("x", "y", "u2", "2026-02-01T00:00:00Z", "herald.a.b");
  const Channel young_dlq_clash = Named("x", "z", "u3", "2026-02-01T00:00:00Z", "herald.a.b.dlq");
  const Channel older_override = Named("x", "w", "u4", "2025-01-01T00:00:00Z", "herald.a.b");
  const Channel same_time = Named("c", "d", "u5", "2026-01-01T00:00:00Z", "herald.a.b");
  const Channel unrelated = Named("q", "r", "u6", "2020-01-01T00:00:00Z");
  const Channel unsaved = Named("k", "l", "u7", "", "herald.a.b");

  const struct {
    std::string name;
    const Channel* self;
    std::vector<Channel> all;
    std::string owner;  // "" = no conflict
  } cases[] = {
      {"alone", &old_default, {old_default}, ""},
      {"unrelated", &old_default, {old_default, unrelated}, ""},
      {"older keeps its topic", &old_default, {old_default, young_override}, ""},
      {"younger loses", &young_override, {old_default, young_override}, "a/b"},
      {"topic equal to another's dead-letter topic", &young_dlq_clash, {old_default, young_dlq_clash}, "a/b"},
      {"oldest of several wins", &old_default, {old_default, older_override, young_override}, "x/w"},
      {"oldest owner is named", &young_override, {old_default, older_override, young_override}, "x/w"},
      {"tie goes to the smaller namespace/name", &same_time, {old_default, same_time}, "a/b"},
      {"tie winner keeps it", &old_default, {old_default, same_time}, ""},
      {"not yet persisted sorts last", &unsaved, {unsaved, young_override}, "x/y"},
  };
  for (const auto& tc : cases) {
    SCOPED_TRACE(tc.name);
    const auto conflict = FindTopicConflict(*tc.self, tc.all);
    EXPECT_EQ(conflict.has_value(), !tc.owner.empty());
    if (conflict) {
      EXPECT_EQ(conflict->reason, kReasonResourceConflict);
      EXPECT_NE(conflict->message.find("NotificationChannel " + tc.owner + ","), std::string::npos)
          << conflict->message;
    }
  }
}

}  // namespace
}  // namespace herald::op
