#include "operator/core/names.h"

#include <gtest/gtest.h>

#include <set>

#include "operator/core/test_fixtures.h"

namespace herald::op {
namespace {

using fixtures::MinimalChannelJson;
using fixtures::MustParse;
using nlohmann::json;

bool IsRfc1035(const std::string& s) {
  if (s.empty() || s.size() > 63 || !(s.front() >= 'a' && s.front() <= 'z')) return false;
  if (s.back() == '-') return false;
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  }
  return true;
}

TEST(NamesTest, TopicsAndGroup) {
  const struct {
    std::string ns, name;
    std::optional<std::string> topic_override;
    std::string topic, dlq, group;
  } cases[] = {
      {"team-a", "ops-alerts", std::nullopt, "herald.team-a.ops-alerts", "herald.team-a.ops-alerts.dlq",
       "herald.team-a.ops-alerts"},
      {"team-a", "ops-alerts", "billing", "billing", "billing.dlq", "herald.team-a.ops-alerts"},
      {"default", "a.b", std::nullopt, "herald.default.a.b", "herald.default.a.b.dlq", "herald.default.a.b"},
  };
  for (const auto& tc : cases) {
    json j = MinimalChannelJson();
    j["metadata"]["namespace"] = tc.ns;
    j["metadata"]["name"] = tc.name;
    if (tc.topic_override) j["spec"]["kafka"] = {{"topic", *tc.topic_override}};
    const Channel c = MustParse(j);
    EXPECT_EQ(TopicName(c), tc.topic);
    EXPECT_EQ(DeadLetterTopicName(TopicName(c)), tc.dlq);
    EXPECT_EQ(ConsumerGroup(c), tc.group);
  }
}

TEST(NamesTest, TopicsClashWhenTheyOrTheirDeadLetterTopicsMeet) {
  EXPECT_TRUE(TopicsClash("billing", "billing"));
  EXPECT_TRUE(TopicsClash("billing", "billing.dlq")) << "theirs is our dead-letter topic";
  EXPECT_TRUE(TopicsClash("billing.dlq", "billing")) << "ours is their dead-letter topic";
  EXPECT_FALSE(TopicsClash("billing", "billing.dlq.dlq"));
  EXPECT_FALSE(TopicsClash("billing", "billingXdlq"));
  EXPECT_FALSE(TopicsClash("billing", "other.dlq"));
  EXPECT_FALSE(TopicsClash("billing", "billing2"));
}

TEST(NamesTest, ValidateTopicName) {
  const struct {
    std::string topic;
    bool ok;
  } cases[] = {
      {"herald.a.b", true},
      {"A_b-c.9", true},
      {std::string(249, 'a'), true},
      {std::string(250, 'a'), false},
      {"", false},
      {".", false},
      {"..", false},
      {"...", true},
      {"__x", false},
      {"_x", true},
      {"a b", false},
      {"a/b", false},
      {"ä", false},
  };
  for (const auto& tc : cases) EXPECT_EQ(ValidateTopicName(tc.topic).ok(), tc.ok) << tc.topic;
}

TEST(NamesTest, ChildNameKeepsShortNames) {
  EXPECT_EQ(ChildName("ops-alerts"), "herald-ops-alerts");
  EXPECT_EQ(ChildName("ops-alerts", "-kafka"), "herald-ops-alerts-kafka");
  EXPECT_EQ(ChildName(std::string(56, 'x')), "herald-" + std::string(56, 'x'));  // exactly 63
}

TEST(NamesTest, ChildNameHashesWhatDoesNotFit) {
  const std::string long57(57, 'x');
  const struct {
    std::string channel, suffix;
  } cases[] = {
      {long57, ""},
      {std::string(253, 'y'), ""},
      {"a.b", ""},
      {"a-b", "-kafka"},
      {long57, "-kafka"},
      {std::string(54, 'a') + "-" + std::string(10, 'b'), ""},  // cut lands on '-'
      {"0starts-with-digit", ""},
  };
  std::set<std::string> seen;
  for (const auto& tc : cases) {
    const std::string got = ChildName(tc.channel, tc.suffix);
    EXPECT_TRUE(IsRfc1035(got)) << got;
    EXPECT_TRUE(got.starts_with("herald-")) << got;
    EXPECT_TRUE(got.ends_with(tc.suffix)) << got;
    EXPECT_EQ(got, ChildName(tc.channel, tc.suffix)) << "deterministic";
    EXPECT_TRUE(seen.insert(got).second) << "collision: " << got;
  }
  // Dots would be invalid in a Service name, and replacing them alone would
  // make "a.b" and "a-b" collide.
  EXPECT_NE(ChildName("a.b"), ChildName("a-b"));
  EXPECT_TRUE(ChildName("a.b").starts_with("herald-a-b-"));
  // Pinned: the hash must never change between releases, or upgrades would
  // orphan children.
  EXPECT_EQ(ChildName(long57), "herald-" + std::string(47, 'x') + "-" + "ae14a256");
}

TEST(NamesTest, LabelValue) {
  EXPECT_EQ(LabelValue("ops-alerts"), "ops-alerts");
  EXPECT_EQ(LabelValue(std::string(63, 'a')), std::string(63, 'a'));
  const std::string cut = LabelValue(std::string(64, 'a'));
  EXPECT_EQ(cut.size(), 63u);
  EXPECT_NE(cut, LabelValue(std::string(65, 'a')));
}

TEST(NamesTest, Labels) {
  const Channel c = MustParse(MinimalChannelJson());
  EXPECT_EQ(Labels(c), json({{"app.kubernetes.io/managed-by", "herald-operator"},
                             {"app.kubernetes.io/part-of", "herald"},
                             {"app.kubernetes.io/name", "herald-sidecar"},
                             {"app.kubernetes.io/instance", "herald-ops-alerts"},
                             {"herald.dev/channel", "ops-alerts"}}));
  EXPECT_EQ(SelectorLabels(c),
            json({{"app.kubernetes.io/name", "herald-sidecar"}, {"herald.dev/channel", "ops-alerts"}}));
  const json selector = SelectorLabels(c);
  const json labels = Labels(c);
  for (const auto& [k, v] : selector.items()) EXPECT_EQ(labels[k], v) << k;
}

}  // namespace
}  // namespace herald::op
