#include "config/sidecar_config.h"

#include <gtest/gtest.h>

namespace herald::config {
namespace {

const char* kSlack = R"(
channel: {namespace: team-a, name: ops-alerts, type: slack}
kafka:
  bootstrapServers: 127.0.0.1:9092
  topic: herald.team-a.ops-alerts
  deadLetterTopic: herald.team-a.ops-alerts.dlq
  groupId: herald.team-a.ops-alerts
delivery:
  maxAttempts: 3
  backoff: {initial: 100ms, max: 2s, multiplier: 1.5}
  timeout: 5s
  rateLimit: {perSecond: 10}
  concurrency: 8
drainTimeout: 15s
template:
  contentVersion: 1
  slack: {text: "Quota exceeded for {{content.project}}"}
slack: {webhookURLFile: /etc/herald/secrets/slack/url}
server: {metricsAddress: "127.0.0.1:18080", probeAddress: ":18081"}
log: {level: debug}
)";

TEST(SidecarConfig, ParsesAFullSlackConfig) {
  auto cfg = ParseSidecarConfig(kSlack);
  ASSERT_TRUE(cfg.ok()) << cfg.error();
  EXPECT_EQ(cfg->ChannelId(), "team-a/ops-alerts");
  EXPECT_EQ(cfg->kind, ChannelKind::kSlack);
  EXPECT_EQ(cfg->topic, "herald.team-a.ops-alerts");
  EXPECT_EQ(cfg->events_topic, "herald.events");
  EXPECT_EQ(cfg->delivery.max_attempts, 3);
  EXPECT_EQ(cfg->delivery.backoff.initial.count(), 100);
  EXPECT_EQ(cfg->delivery.backoff.max.count(), 2000);
  EXPECT_DOUBLE_EQ(cfg->delivery.backoff.multiplier, 1.5);
  ASSERT_TRUE(cfg->delivery.rate_per_second.has_value());
  EXPECT_DOUBLE_EQ(*cfg->delivery.rate_per_second, 10);
  EXPECT_DOUBLE_EQ(cfg->delivery.rate_burst, 10);
  EXPECT_EQ(cfg->drain_timeout.count(), 15000);
  EXPECT_EQ(cfg->url_file, "/etc/herald/secrets/slack/url");
  EXPECT_EQ(cfg->metrics_address, "127.0.0.1:18080");
  EXPECT_EQ(cfg->log_level, "debug");
}

TEST(SidecarConfig, ParsesEmailWithDefaults) {
  auto cfg = ParseSidecarConfig(R"(
channel: {namespace: a, name: mail, type: email}
kafka: {bootstrapServers: k:9092, topic: t, deadLetterTopic: t.dlq, groupId: g}
template: {contentVersion: 2, subject: "s {{from}}", text: "t", html: "<p>h</p>"}
email:
  smtp: {host: smtp.example.com, usernameFile: /u, passwordFile: /p}
  from: "Herald <herald@example.com>"
  to: [ops@example.com, dev@example.com]
)");
  ASSERT_TRUE(cfg.ok()) << cfg.error();
  EXPECT_EQ(cfg->smtp.port, 587);
  EXPECT_EQ(cfg->smtp.tls, "starttls");
  EXPECT_EQ(cfg->email_to.size(), 2u);
  EXPECT_EQ(cfg->delivery.max_attempts, 5);
  EXPECT_FALSE(cfg->delivery.rate_per_second.has_value());
  EXPECT_EQ(cfg->drain_timeout.count(), 20000);
}

std::string Replace(std::string s, const std::string& from, const std::string& to) {
  auto pos = s.find(from);
  EXPECT_NE(pos, std::string::npos) << from;
  if (pos != std::string::npos) s.replace(pos, from.size(), to);
  return s;
}

TEST(SidecarConfig, ErrorsNameTheKey) {
  struct Case {
    std::string yaml;
    std::string want;
  } cases[] = {
      {Replace(kSlack, "timeout: 5s", "timeout: 5 s"), "delivery.timeout: \"5 s\" is not a positive duration"},
      {Replace(kSlack, "timeout: 5s", "timout: 5s"), "delivery.timout: unknown key"},
      {Replace(kSlack, "  topic: herald.team-a.ops-alerts\n", ""), "kafka.topic: required"},
      {Replace(kSlack, "maxAttempts: 3", "maxAttempts: 0"), "delivery.maxAttempts: 0 is outside 1..100"},
      {Replace(kSlack, "type: slack", "type: pager"), "channel.type: \"pager\" is not one of"},
      {Replace(kSlack, "slack: {webhookURLFile", "teams: {webhookURLFile"), "teams: not allowed for a slack channel"},
      {Replace(kSlack, "initial: 100ms", "initial: 5s"), "delivery.backoff: initial must not exceed max"},
      {Replace(kSlack, "level: debug", "level: loud"), "log.level: \"loud\" is not one of"},
      {Replace(kSlack, "  deadLetterTopic: herald.team-a.ops-alerts.dlq\n", ""), "kafka.deadLetterTopic: required"},
      {Replace(kSlack, "contentVersion: 1", "contentVersion: one"), "template:"},
      {"channel: [", "not valid YAML"},
      {"- a\n- b\n", "must be a YAML mapping"},
  };
  for (const auto& c : cases) {
    auto cfg = ParseSidecarConfig(c.yaml);
    ASSERT_FALSE(cfg.ok()) << c.want;
    EXPECT_NE(cfg.error().find(c.want), std::string::npos) << "got: " << cfg.error() << "\nwant: " << c.want;
    EXPECT_EQ(cfg.error().find('\n'), std::string::npos) << "errors are one line: " << cfg.error();
  }
}

TEST(SidecarConfig, MissingFileIsAnError) {
  auto cfg = LoadSidecarConfig("/nonexistent/sidecar.yaml");
  ASSERT_FALSE(cfg.ok());
  EXPECT_EQ(cfg.error(), "config /nonexistent/sidecar.yaml: cannot be read");
}

}  // namespace
}  // namespace herald::config
