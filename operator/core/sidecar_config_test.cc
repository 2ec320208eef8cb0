#include "operator/core/sidecar_config.h"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <functional>

#include "operator/core/test_fixtures.h"

namespace herald::op {
namespace {

using fixtures::MinimalChannelJson;
using fixtures::MustParse;
using fixtures::SampleChannelJson;
using nlohmann::json;

OperatorSettings Settings() {
  OperatorSettings s;
  s.bootstrap_servers = "kafka:9092";
  return s;
}

json TemplateSpecJson() {
  return {
      {"contentVersion", 1},
      {"subject", "Quota exceeded for {{content.project}}"},
      {"text", "{{content.used}} of {{content.limit}} requests used."},
      {"html", "<p><b>{{content.project}}</b>: {{content.used}} / {{content.limit}}</p>"},
      {"slack",
       {{"text", "Quota exceeded for {{content.project}}"},
        {"blocks", R"([{"type":"section","text":{"type":"mrkdwn","text":"*{{content.project}}* is over quota"}}])"}}},
      {"sample", {{"globalId", "00000000-0000-4000-8000-000000000000"}}}};
}

std::string MustRender(const Channel& c, const json& tmpl = TemplateSpecJson(),
                       const OperatorSettings& s = Settings()) {
  auto yaml = RenderSidecarConfig(c, tmpl, s);
  EXPECT_TRUE(yaml.ok()) << yaml.error();
  return yaml.ok() ? *yaml : "";
}

// The whole file for the contract's sample channel: the format other
// components (the sidecar's parser, workers-up) rely on.
TEST(RenderSidecarConfigTest, GoldenSlack) {
  const std::string want =
      R"(# Rendered by herald-operator from NotificationChannel team-a/ops-alerts; edits are overwritten.
channel:
  namespace: "team-a"
  name: "ops-alerts"
  type: "slack"
kafka:
  bootstrapServers: "kafka:9092"
  topic: "herald.team-a.ops-alerts"
  deadLetterTopic: "herald.team-a.ops-alerts.dlq"
  groupId: "herald.team-a.ops-alerts"
  eventsTopic: "herald.events"
delivery:
  maxAttempts: 5
  backoff:
    initial: "500ms"
    max: "30s"
    multiplier: 2
  timeout: "10s"
  rateLimit:
    perSecond: 50
    burst: 100
  concurrency: 64
  deadLetter:
    enabled: true
drainTimeout: "20s"
template:
  contentVersion: 1
  subject: "Quota exceeded for {{content.project}}"
  text: "{{content.used}} of {{content.limit}} requests used."
  html: "<p><b>{{content.project}}</b>: {{content.used}} / {{content.limit}}</p>"
  slack:
    text: "Quota exceeded for {{content.project}}"
    blocks: "[{\"type\":\"section\",\"text\":{\"type\":\"mrkdwn\",\"text\":\"*{{content.project}}* is over quota\"}}]"
slack:
  webhookURLFile: "/etc/herald/secrets/slack/url"
server:
  metricsAddress: ":8080"
  probeAddress: ":8081"
log:
  level: "info"
)";
  EXPECT_EQ(MustRender(MustParse(SampleChannelJson())), want);
}

TEST(RenderSidecarConfigTest, DestinationSections) {
  const struct {
    std::string type;
    std::function<void(json&)> edit;
    std::function<void(const YAML::Node&)> check;
  } cases[] = {
      {"teams", [](json&) {},
       [](const YAML::Node& y) {
         EXPECT_EQ(y["teams"]["webhookURLFile"].as<std::string>(), "/etc/herald/secrets/teams/url");
       }},
      {"webhook",
       [](json& j) {
         j["spec"]["webhook"]["signingSecretRef"] = {{"name", "hook"}, {"key", "secret"}};
         j["spec"]["webhook"]["headers"] = {{"X-Team", "a"}, {"Accept", "*/*"}, {"!odd#", "&anchor *alias"}};
         j["spec"]["webhook"]["headersSecretRef"] = {{"name", "hook-headers"}};
       },
       [](const YAML::Node& y) {
         const YAML::Node w = y["webhook"];
         EXPECT_EQ(w["urlFile"].as<std::string>(), "/etc/herald/secrets/webhook/url");
         EXPECT_EQ(w["signingSecretFile"].as<std::string>(), "/etc/herald/secrets/webhook-signing/secret");
         EXPECT_EQ(w["headersDir"].as<std::string>(), "/etc/herald/secrets/webhook-headers");
         EXPECT_EQ(w["headers"].size(), 3u);
         EXPECT_EQ(w["headers"]["X-Team"].as<std::string>(), "a");
         EXPECT_EQ(w["headers"]["Accept"].as<std::string>(), "*/*");
         EXPECT_EQ(w["headers"]["!odd#"].as<std::string>(), "&anchor *alias");
       }},
      {"webhook", [](json&) {},
       [](const YAML::Node& y) {
         EXPECT_FALSE(y["webhook"]["headers"]);
         EXPECT_FALSE(y["webhook"]["signingSecretFile"]);
         EXPECT_FALSE(y["webhook"]["headersDir"]);
       }},
      {"email",
       [](json& j) {
         j["spec"]["email"]["smtp"] = {{"host", "127.0.0.1"},
                                       {"port", 465},
                                       {"tls", "implicit"},
                                       {"credentialsSecretRef", {{"name", "smtp-creds"}}},
                                       {"caSecretRef", {{"name", "smtp-ca"}, {"key", "ca.crt"}}}};
         j["spec"]["email"]["from"] = "Herald <herald@example.com>";
         j["spec"]["email"]["to"] = {"ops@example.com"};
       },
       [](const YAML::Node& y) {
         const YAML::Node e = y["email"];
         EXPECT_EQ(e["smtp"]["host"].as<std::string>(), "127.0.0.1");
         EXPECT_EQ(e["smtp"]["port"].as<int>(), 465);
         EXPECT_EQ(e["smtp"]["tls"].as<std::string>(), "implicit");
         EXPECT_EQ(e["smtp"]["usernameFile"].as<std::string>(), "/etc/herald/secrets/smtp/username");
         EXPECT_EQ(e["smtp"]["passwordFile"].as<std::string>(), "/etc/herald/secrets/smtp/password");
         EXPECT_EQ(e["smtp"]["caFile"].as<std::string>(), "/etc/herald/secrets/smtp-ca/ca.crt");
         EXPECT_EQ(e["from"].as<std::string>(), "Herald <herald@example.com>");
         EXPECT_EQ(e["to"].as<std::vector<std::string>>(), std::vector<std::string>{"ops@example.com"});
       }},
      {"email", [](json&) {},
       [](const YAML::Node& y) {
         EXPECT_FALSE(y["email"]["smtp"]["usernameFile"]);
         EXPECT_FALSE(y["email"]["smtp"]["caFile"]);
         EXPECT_FALSE(y["email"]["to"]);
         EXPECT_EQ(y["email"]["smtp"]["port"].as<int>(), 587);
         EXPECT_EQ(y["email"]["smtp"]["tls"].as<std::string>(), "starttls");
       }},
  };
  for (const auto& tc : cases) {
    SCOPED_TRACE(tc.type);
    json j = MinimalChannelJson(tc.type);
    tc.edit(j);
    const YAML::Node y = YAML::Load(MustRender(MustParse(j)));
    tc.check(y);
    // Exactly the section matching channel.type.
    for (const char* other : {"email", "slack", "teams", "webhook"}) {
      EXPECT_EQ(static_cast<bool>(y[other]), tc.type == other) << other;
    }
  }
}

TEST(RenderSidecarConfigTest, OptionalKafkaAndDeliveryKeys) {
  json j = MinimalChannelJson();
  j["spec"]["kafka"] = {{"topic", "custom"}};
  j["spec"]["delivery"] = {{"backoff", {{"multiplier", 1.5}, {"initial", "1500ms"}}},
                           {"deadLetter", {{"enabled", false}}}};
  j["spec"]["workers"] = {{"drainTimeout", "0"}};
  OperatorSettings s = Settings();
  s.kafka_properties = true;
  s.events_topic = "";
  s.log_level = "debug";
  const YAML::Node y = YAML::Load(MustRender(MustParse(j), TemplateSpecJson(), s));
  EXPECT_EQ(y["kafka"]["topic"].as<std::string>(), "custom");
  EXPECT_EQ(y["kafka"]["deadLetterTopic"].as<std::string>(), "custom.dlq");
  EXPECT_EQ(y["kafka"]["groupId"].as<std::string>(), "herald.team-a.ops-alerts");
  EXPECT_EQ(y["kafka"]["eventsTopic"].as<std::string>(), "");
  EXPECT_EQ(y["kafka"]["propertiesFile"].as<std::string>(), "/etc/herald/kafka/client.properties");
  EXPECT_EQ(y["delivery"]["backoff"]["multiplier"].as<double>(), 1.5);
  EXPECT_EQ(y["delivery"]["backoff"]["initial"].as<std::string>(), "1500ms");
  EXPECT_FALSE(y["delivery"]["rateLimit"]);
  EXPECT_FALSE(y["delivery"]["deadLetter"]["enabled"].as<bool>());
  EXPECT_EQ(y["drainTimeout"].as<std::string>(), "0s");
  EXPECT_EQ(y["log"]["level"].as<std::string>(), "debug");
}

TEST(RenderSidecarConfigTest, TemplateStringsRoundTrip) {
  const std::vector<std::string> values = {
      "{{content.project}}",
      "line one\nline two\n",
      "  leading and trailing  ",
      "tab\there",
      "quote \" and \\",
      "true",
      "123",
      "null",
      "~",
      "- item",
      "key: value",
      "# not a comment",
      "unicode: é ✓ 🚀",
      "\r\n",
      "control \x01\x1f",
      "'single'",
  };
  for (const auto& v : values) {
    const json tmpl = {{"text", v}, {"teams", {{"card", v}}}, {"webhook", {{"body", v}}}};
    const YAML::Node y = YAML::Load(MustRender(MustParse(MinimalChannelJson()), tmpl));
    EXPECT_EQ(y["template"]["text"].as<std::string>(), v);
    EXPECT_EQ(y["template"]["teams"]["card"].as<std::string>(), v);
    EXPECT_EQ(y["template"]["webhook"]["body"].as<std::string>(), v);
  }
}

TEST(RenderSidecarConfigTest, TemplateCopiesOnlyKnownFields) {
  const json tmpl = {{"contentVersion", 2}, {"webhook", json::object()}, {"sample", {{"from", "x"}}}, {"future", 1}};
  const YAML::Node y = YAML::Load(MustRender(MustParse(MinimalChannelJson()), tmpl));
  EXPECT_EQ(y["template"]["contentVersion"].as<int>(), 2);
  EXPECT_TRUE(y["template"]["webhook"].IsMap());
  EXPECT_EQ(y["template"]["webhook"].size(), 0u);
  EXPECT_FALSE(y["template"]["sample"]);
  EXPECT_FALSE(y["template"]["future"]);
  EXPECT_FALSE(y["template"]["subject"]);
  EXPECT_EQ(
      YAML::Load(MustRender(MustParse(MinimalChannelJson()), json::object()))["template"]["contentVersion"].as<int>(),
      1);
}

TEST(RenderSidecarConfigTest, NoSecretValuesOrRefsLeak) {
  json j = MinimalChannelJson("webhook");
  j["spec"]["webhook"]["urlSecretRef"] = {{"name", "secret-name-xyz"}, {"key", "url"}};
  const std::string yaml = MustRender(MustParse(j));
  EXPECT_EQ(yaml.find("secret-name-xyz"), std::string::npos) << yaml;
}

TEST(RenderSidecarConfigTest, Errors) {
  const Channel c = MustParse(MinimalChannelJson());
  const struct {
    json tmpl;
    OperatorSettings settings;
    std::string want;
  } cases[] = {
      {json::array(), Settings(), "template: must be an object, got array"},
      {{{"subject", 1}}, Settings(), "template.subject: must be a string, got number"},
      {{{"slack", "x"}}, Settings(), "template.slack: must be an object, got string"},
      {{{"slack", {{"blocks", json::array()}}}}, Settings(), "template.slack.blocks: must be a string, got array"},
      {{{"contentVersion", 0}}, Settings(), "template.contentVersion: must be an integer of at least 1, got 0"},
      {json::object(), OperatorSettings{}, "operator settings: Kafka bootstrap servers are empty"},
  };
  for (const auto& tc : cases) {
    auto yaml = RenderSidecarConfig(c, tc.tmpl, tc.settings);
    ASSERT_FALSE(yaml.ok()) << tc.want;
    EXPECT_TRUE(yaml.error().starts_with(tc.want)) << yaml.error();
  }
}

TEST(RenderSidecarConfigTest, DeterministicAndSensitive) {
  const Channel c = MustParse(SampleChannelJson());
  const std::string a = MustRender(c);
  EXPECT_EQ(a, MustRender(c));
  json other = TemplateSpecJson();
  other["subject"] = "Changed";
  EXPECT_NE(ConfigHash(a), ConfigHash(MustRender(c, other)));
}

TEST(ConfigHashTest, Table) {
  EXPECT_EQ(ConfigHash(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(ConfigHash("a").size(), 64u);
  EXPECT_NE(ConfigHash("a"), ConfigHash("a", ""));
  EXPECT_NE(ConfigHash("a", "x=1"), ConfigHash("a", "x=2"));
  EXPECT_NE(ConfigHash("ab", "c"), ConfigHash("a", "bc"));
}

}  // namespace
}  // namespace herald::op
