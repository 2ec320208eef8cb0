#include "operator/core/channel.h"

#include <gtest/gtest.h>

#include <functional>

#include "operator/core/test_fixtures.h"

using namespace std::chrono_literals;

namespace herald::op {
namespace {

using fixtures::MinimalChannelJson;
using fixtures::MustParse;
using fixtures::SampleChannelJson;
using nlohmann::json;

TEST(ParseChannelTest, AppliesEveryCrdDefault) {
  const Channel c = MustParse(MinimalChannelJson());
  EXPECT_EQ(c.namespace_name, "team-a");
  EXPECT_EQ(c.name, "ops-alerts");
  EXPECT_EQ(c.uid, "6f1b2c3d-0000-4000-8000-000000000001");
  EXPECT_EQ(c.generation, 3);
  EXPECT_EQ(c.creation_timestamp, "2026-01-01T00:00:00Z");
  EXPECT_EQ(c.type, ChannelKind::kSlack);
  EXPECT_EQ(c.template_name, "quota-exceeded");
  ASSERT_TRUE(c.slack.has_value());
  EXPECT_EQ(c.slack->webhook_url.name, "hook");
  EXPECT_EQ(c.slack->webhook_url.key, "url");
  EXPECT_FALSE(c.kafka.topic.has_value());
  EXPECT_EQ(c.kafka.partitions, 6);
  EXPECT_EQ(c.kafka.replication_factor, 1);
  EXPECT_EQ(c.kafka.retention, 168h);
  EXPECT_EQ(c.delivery.max_attempts, 5);
  EXPECT_EQ(c.delivery.backoff.initial, 500ms);
  EXPECT_EQ(c.delivery.backoff.max, 30s);
  EXPECT_EQ(c.delivery.backoff.multiplier, 2);
  EXPECT_EQ(c.delivery.timeout, 10s);
  EXPECT_FALSE(c.delivery.rate_limit.has_value());
  EXPECT_EQ(c.delivery.concurrency, 64);
  EXPECT_TRUE(c.delivery.dead_letter_enabled);
  EXPECT_EQ(c.workers.replicas, 2);
  EXPECT_FALSE(c.workers.autoscaling.has_value());
  EXPECT_EQ(c.workers.termination_grace_period_seconds, 30);
  EXPECT_EQ(c.workers.drain_timeout, 20s);
  EXPECT_FALSE(c.suspend);
  EXPECT_EQ(c.deletion_policy, DeletionPolicy::kRetain);
}

TEST(ParseChannelTest, ContractSample) {
  const Channel c = MustParse(SampleChannelJson());
  ASSERT_TRUE(c.delivery.rate_limit.has_value());
  EXPECT_EQ(c.delivery.rate_limit->per_second, 50);
  EXPECT_EQ(c.delivery.rate_limit->burst, 100);
  ASSERT_TRUE(c.workers.autoscaling.has_value());
  EXPECT_EQ(c.workers.autoscaling->min_replicas, 2);
  EXPECT_EQ(c.workers.autoscaling->max_replicas, 8);
  EXPECT_EQ(c.workers.autoscaling->target_cpu_utilization, 70);
  EXPECT_EQ(c.workers.autoscaling->scale_down, ScaleDown::kDisabled);
}

TEST(ParseChannelTest, NullsAndEmptyObjectsMeanDefaults) {
  json j = MinimalChannelJson();
  j["spec"]["kafka"] = nullptr;
  j["spec"]["delivery"] = {{"backoff", json::object()}, {"deadLetter", nullptr}, {"timeout", nullptr}};
  j["spec"]["workers"] = json::object();
  j["spec"]["suspend"] = nullptr;
  const Channel c = MustParse(j);
  EXPECT_EQ(c.kafka.partitions, 6);
  EXPECT_EQ(c.delivery.timeout, 10s);
  EXPECT_TRUE(c.delivery.dead_letter_enabled);
  EXPECT_EQ(c.workers.replicas, 2);
  EXPECT_FALSE(c.suspend);
}

TEST(ParseChannelTest, OptionalValues) {
  const struct {
    std::string name;
    std::function<void(json&)> edit;
    std::function<void(const Channel&)> check;
  } cases[] = {
      {"burst defaults to perSecond",
       [](json& j) {
         j["spec"]["delivery"]["rateLimit"] = {{"perSecond", 7}};
       },
       [](const Channel& c) { EXPECT_EQ(c.delivery.rate_limit->burst, 7); }},
      {"autoscaling defaults",
       [](json& j) {
         j["spec"]["workers"]["autoscaling"] = {{"maxReplicas", 4}};
       },
       [](const Channel& c) {
         EXPECT_EQ(c.workers.autoscaling->min_replicas, 1);
         EXPECT_EQ(c.workers.autoscaling->target_cpu_utilization, 70);
         EXPECT_EQ(c.workers.autoscaling->scale_down, ScaleDown::kDisabled);
       }},
      {"scaleDown Enabled",
       [](json& j) {
         j["spec"]["workers"]["autoscaling"] = {{"maxReplicas", 4}, {"scaleDown", "Enabled"}};
       },
       [](const Channel& c) { EXPECT_EQ(c.workers.autoscaling->scale_down, ScaleDown::kEnabled); }},
      {"topic override",
       [](json& j) {
         j["spec"]["kafka"] = {{"topic", "billing_Alerts-1"}};
       },
       [](const Channel& c) { EXPECT_EQ(c.kafka.topic, "billing_Alerts-1"); }},
      {"fractional durations", [](json& j) { j["spec"]["workers"]["drainTimeout"] = "1m30.5s"; },
       [](const Channel& c) { EXPECT_EQ(c.workers.drain_timeout, 90500ms); }},
      {"fractional multiplier",
       [](json& j) {
         j["spec"]["delivery"]["backoff"] = {{"multiplier", 1.5}};
       },
       [](const Channel& c) { EXPECT_EQ(c.delivery.backoff.multiplier, 1.5); }},
      {"deletion policy and suspend",
       [](json& j) {
         j["spec"]["deletionPolicy"] = "Delete";
         j["spec"]["suspend"] = true;
       },
       [](const Channel& c) {
         EXPECT_EQ(c.deletion_policy, DeletionPolicy::kDelete);
         EXPECT_TRUE(c.suspend);
       }},
      {"unknown fields are ignored",
       [](json& j) {
         j["spec"]["futureField"] = {{"x", 1}};
         j["status"] = "anything";
       },
       [](const Channel& c) { EXPECT_EQ(c.name, "ops-alerts"); }},
      {"no generation or creationTimestamp",
       [](json& j) {
         j["metadata"].erase("generation");
         j["metadata"].erase("creationTimestamp");
       },
       [](const Channel& c) {
         EXPECT_EQ(c.generation, 0);
         EXPECT_EQ(c.creation_timestamp, "");
       }},
  };
  for (const auto& tc : cases) {
    SCOPED_TRACE(tc.name);
    json j = MinimalChannelJson();
    tc.edit(j);
    auto c = ParseChannel(j);
    ASSERT_TRUE(c.ok()) << c.error();
    tc.check(*c);
  }
}

TEST(ParseChannelTest, Sections) {
  {
    json j = MinimalChannelJson("email");
    j["spec"]["email"]["smtp"]["credentialsSecretRef"] = {{"name", "smtp-creds"}};
    j["spec"]["email"]["smtp"]["caSecretRef"] = {{"name", "smtp-ca"}, {"key", "ca.crt"}};
    j["spec"]["email"]["to"] = {"ops@example.com", "Dev <dev@example.com>"};
    const Channel c = MustParse(j);
    ASSERT_TRUE(c.email.has_value());
    EXPECT_EQ(c.email->smtp.host, "smtp.example.com");
    EXPECT_EQ(c.email->smtp.port, 587);
    EXPECT_EQ(c.email->smtp.tls, "starttls");
    EXPECT_EQ(c.email->smtp.credentials->name, "smtp-creds");
    ASSERT_TRUE(c.email->smtp.ca.has_value());
    EXPECT_EQ(c.email->smtp.ca->name, "smtp-ca");
    EXPECT_EQ(c.email->smtp.ca->key, "ca.crt");
    EXPECT_EQ(c.email->from, "herald@example.com");
    EXPECT_EQ(c.email->to, (std::vector<std::string>{"ops@example.com", "Dev <dev@example.com>"}));
  }
  {
    const Channel c = MustParse(MinimalChannelJson("teams"));
    ASSERT_TRUE(c.teams.has_value());
    EXPECT_EQ(c.teams->webhook_url.key, "url");
  }
  {
    json j = MinimalChannelJson("webhook");
    j["spec"]["webhook"]["signingSecretRef"] = {{"name", "hook"}, {"key", "secret"}};
    j["spec"]["webhook"]["headers"] = {{"X-Team", "a"}, {"Accept", "application/json"}};
    j["spec"]["webhook"]["headersSecretRef"] = {{"name", "hook-headers"}};
    const Channel c = MustParse(j);
    ASSERT_TRUE(c.webhook.has_value());
    EXPECT_EQ(c.webhook->url.name, "hook");
    EXPECT_EQ(c.webhook->signing->key, "secret");
    EXPECT_EQ(c.webhook->headers.size(), 2u);
    EXPECT_EQ(c.webhook->headers.begin()->first, "Accept");  // sorted
    EXPECT_EQ(c.webhook->headers_secret->name, "hook-headers");
  }
}

TEST(ParseChannelTest, TemplateRef) {
  const Channel c = MustParse(MinimalChannelJson());
  EXPECT_EQ(TemplateRef(c), (ObjectKey{"team-a", "quota-exceeded"}));
  EXPECT_EQ(ChannelKey(c), "team-a/ops-alerts");
}

TEST(ParseChannelTest, ErrorsNameTheField) {
  const struct {
    std::function<void(json&)> edit;
    std::string want;  // the whole message starts with this
  } cases[] = {
      {[](json& j) { j = json::array(); }, "object: must be a JSON object"},
      {[](json& j) { j.erase("metadata"); }, "metadata: required"},
      {[](json& j) { j["metadata"].erase("name"); }, "metadata.name: required"},
      {[](json& j) { j["metadata"].erase("namespace"); }, "metadata.namespace: required"},
      {[](json& j) { j["metadata"].erase("uid"); }, "metadata.uid: required"},
      {[](json& j) { j["metadata"]["generation"] = "3"; }, "metadata.generation: must be an integer"},
      {[](json& j) { j.erase("spec"); }, "spec: required"},
      {[](json& j) { j["spec"] = "x"; }, "spec: must be an object, got string"},
      {[](json& j) { j["spec"].erase("type"); }, "spec.type: required"},
      {[](json& j) { j["spec"]["type"] = "sms"; },
       "spec.type: must be one of email, slack, teams, webhook, got \"sms\""},
      {[](json& j) { j["spec"].erase("templateRef"); }, "spec.templateRef: required"},
      {[](json& j) { j["spec"]["templateRef"]["name"] = "Bad_Name"; },
       "spec.templateRef.name: \"Bad_Name\" is not a valid Template name"},
      {[](json& j) { j["spec"].erase("slack"); }, "spec.slack: required when spec.type is slack"},
      {[](json& j) { j["spec"]["teams"] = json::object(); }, "spec.teams: must not be set when spec.type is slack"},
      {[](json& j) { j["spec"]["slack"] = 1; }, "spec.slack: must be an object, got number"},
      {[](json& j) { j["spec"]["slack"]["webhookURLSecretRef"].erase("key"); },
       "spec.slack.webhookURLSecretRef.key: required"},
      {[](json& j) { j["spec"]["slack"]["webhookURLSecretRef"]["key"] = ".."; },
       "spec.slack.webhookURLSecretRef.key: \"..\" is not a valid Secret key"},
      {[](json& j) { j["spec"]["slack"]["webhookURLSecretRef"]["key"] = "a/b"; },
       "spec.slack.webhookURLSecretRef.key: \"a/b\" is not a valid Secret key"},
      {[](json& j) { j["spec"]["slack"]["webhookURLSecretRef"]["name"] = "-x"; },
       "spec.slack.webhookURLSecretRef.name: \"-x\" is not a valid Secret name"},
      {[](json& j) {
         j["spec"]["kafka"] = {{"partitions", 0}};
       },
       "spec.kafka.partitions: must be an integer from 1 to 10000, got 0"},
      {[](json& j) {
         j["spec"]["kafka"] = {{"partitions", 6.5}};
       },
       "spec.kafka.partitions: must be an integer from 1 to 10000, got 6.5"},
      {[](json& j) {
         j["spec"]["kafka"] = {{"partitions", 18446744073709551615ULL}};
       },
       "spec.kafka.partitions: must be an integer from 1 to 10000, got 18446744073709551615"},
      {[](json& j) {
         j["spec"]["kafka"] = {{"replicationFactor", 33}};
       },
       "spec.kafka.replicationFactor: must be an integer from 1 to 32"},
      {[](json& j) {
         j["spec"]["kafka"] = {{"retention", "7 days"}};
       },
       "spec.kafka.retention: \"7 days\" is not a duration"},
      {[](json& j) {
         j["spec"]["kafka"] = {{"retention", "500ms"}};
       },
       "spec.kafka.retention: \"500ms\" must be between 1s and"},
      {[](json& j) {
         j["spec"]["kafka"] = {{"topic", "has space"}};
       },
       "spec.kafka.topic: \"has space\" contains characters Kafka refuses"},
      {[](json& j) {
         j["spec"]["kafka"] = {{"topic", "__consumer"}};
       },
       "spec.kafka.topic: \"__consumer\" starts"},
      {[](json& j) {
         j["spec"]["kafka"] = {{"topic", ".."}};
       },
       "spec.kafka.topic: \"..\" is not allowed"},
      {[](json& j) {
         j["spec"]["kafka"] = {{"topic", std::string(246, 'a')}};
       },
       "spec.kafka.topic: \"" + std::string(246, 'a') + ".dlq\" is 250 characters, over Kafka's limit of 249"},
      {[](json& j) {
         j["metadata"]["namespace"] = std::string(63, 'n');
         j["metadata"]["name"] = std::string(175, 'x');
       },
       "metadata.name: the derived topic \"herald."},
      {[](json& j) {
         j["spec"]["delivery"] = {{"maxAttempts", 101}};
       },
       "spec.delivery.maxAttempts: must be an integer from 1 to 100, got 101"},
      {[](json& j) {
         j["spec"]["delivery"] = {{"backoff", {{"initial", "2m"}, {"max", "1m"}}}};
       },
       "spec.delivery.backoff.max: 1m is shorter than initial 2m"},
      {[](json& j) {
         j["spec"]["delivery"] = {{"backoff", {{"multiplier", 0.5}}}};
       },
       "spec.delivery.backoff.multiplier: must be a number from 1 to 10, got 0.5"},
      {[](json& j) {
         j["spec"]["delivery"] = {{"backoff", {{"multiplier", "2"}}}};
       },
       "spec.delivery.backoff.multiplier: must be a number from 1 to 10, got \"2\""},
      {[](json& j) {
         j["spec"]["delivery"] = {{"timeout", "2h"}};
       },
       "spec.delivery.timeout: \"2h\" must be between 1ms and 1h"},
      {[](json& j) {
         j["spec"]["delivery"] = {{"rateLimit", json::object()}};
       },
       "spec.delivery.rateLimit.perSecond: required"},
      {[](json& j) {
         j["spec"]["delivery"] = {{"deadLetter", {{"enabled", "yes"}}}};
       },
       "spec.delivery.deadLetter.enabled: must be true or false, got \"yes\""},
      {[](json& j) {
         j["spec"]["workers"] = {{"replicas", 0}};
       },
       "spec.workers.replicas: must be an integer from 1"},
      {[](json& j) {
         j["spec"]["workers"] = {{"autoscaling", {{"minReplicas", 2}}}};
       },
       "spec.workers.autoscaling.maxReplicas: required"},
      {[](json& j) {
         j["spec"]["workers"] = {{"autoscaling", {{"minReplicas", 3}, {"maxReplicas", 2}}}};
       },
       "spec.workers.autoscaling.maxReplicas: 2 is below minReplicas 3"},
      {[](json& j) {
         j["spec"]["workers"] = {{"autoscaling", {{"maxReplicas", 2}, {"scaleDown", "Auto"}}}};
       },
       "spec.workers.autoscaling.scaleDown: must be one of Disabled, Enabled, got \"Auto\""},
      {[](json& j) {
         j["spec"]["workers"] = {{"terminationGracePeriodSeconds", 0}};
       },
       "spec.workers.terminationGracePeriodSeconds: must be an integer from 1 to 3600"},
      {[](json& j) { j["spec"]["suspend"] = "true"; }, "spec.suspend: must be true or false"},
      {[](json& j) { j["spec"]["deletionPolicy"] = "Orphan"; },
       "spec.deletionPolicy: must be one of Retain, Delete, got \"Orphan\""},
  };
  for (const auto& tc : cases) {
    json j = MinimalChannelJson();
    tc.edit(j);
    auto c = ParseChannel(j);
    ASSERT_FALSE(c.ok()) << tc.want;
    EXPECT_TRUE(c.error().starts_with(tc.want)) << "got:  " << c.error() << "\nwant: " << tc.want;
  }
}

TEST(ParseChannelTest, SectionErrors) {
  const struct {
    std::string type;
    std::function<void(json&)> edit;
    std::string want;
  } cases[] = {
      {"email", [](json& j) { j["spec"]["email"].erase("smtp"); }, "spec.email.smtp: required"},
      {"email", [](json& j) { j["spec"]["email"]["smtp"]["port"] = 70000; },
       "spec.email.smtp.port: must be an integer from 1 to 65535, got 70000"},
      {"email", [](json& j) { j["spec"]["email"]["smtp"]["tls"] = "ssl"; },
       "spec.email.smtp.tls: must be one of starttls, implicit, none, got \"ssl\""},
      {"email", [](json& j) { j["spec"]["email"].erase("from"); }, "spec.email.from: required"},
      {"email", [](json& j) { j["spec"]["email"]["to"] = "ops@example.com"; }, "spec.email.to: must be an array"},
      {"email",
       [](json& j) {
         j["spec"]["email"]["to"] = {"a@b.c", 3};
       },
       "spec.email.to[1]: must be a non-empty"},
      {"email", [](json& j) { j["spec"]["email"]["smtp"]["credentialsSecretRef"] = json::object(); },
       "spec.email.smtp.credentialsSecretRef.name: required"},
      {"email", [](json& j) { j["spec"]["email"]["smtp"]["caSecretRef"] = {{"name", "smtp-ca"}}; },
       "spec.email.smtp.caSecretRef.key: required"},
      {"email", [](json& j) { j["spec"]["email"]["smtp"]["caSecretRef"] = {{"name", "smtp-ca"}, {"key", "../ca"}}; },
       "spec.email.smtp.caSecretRef.key: \"../ca\" is not a valid Secret key"},
      {"webhook", [](json& j) { j["spec"]["webhook"].erase("urlSecretRef"); }, "spec.webhook.urlSecretRef: required"},
      {"webhook",
       [](json& j) {
         j["spec"]["webhook"]["headers"] = {{"Bad Header", "x"}};
       },
       "spec.webhook.headers[\"Bad Header\"]: not an HTTP header name"},
      {"webhook",
       [](json& j) {
         j["spec"]["webhook"]["headers"] = {{"authorization", "Bearer x"}};
       },
       "spec.webhook.headers[\"authorization\"]: credentials must not be inline"},
      {"webhook",
       [](json& j) {
         j["spec"]["webhook"]["headers"] = {{"X-Count", 3}};
       },
       "spec.webhook.headers[\"X-Count\"]: must be a string, got 3"},
      {"webhook", [](json& j) { j["spec"]["email"] = json::object(); },
       "spec.email: must not be set when spec.type is webhook"},
  };
  for (const auto& tc : cases) {
    json j = MinimalChannelJson(tc.type);
    tc.edit(j);
    auto c = ParseChannel(j);
    ASSERT_FALSE(c.ok()) << tc.want;
    EXPECT_TRUE(c.error().starts_with(tc.want)) << "got:  " << c.error() << "\nwant: " << tc.want;
  }
}

TEST(ParseChannelTest, LongestDerivedTopicFits) {
  // 7 + 63 + 1 + 174 + 4 = 249: the CRD's bound on metadata.name is exact.
  json j = MinimalChannelJson();
  j["metadata"]["namespace"] = std::string(63, 'n');
  j["metadata"]["name"] = std::string(174, 'x');
  auto c = ParseChannel(j);
  EXPECT_TRUE(c.ok()) << c.error();
}

}  // namespace
}  // namespace herald::op
