#pragma once
// Channel objects as the API server returns them, shared by the tests.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "operator/core/channel.h"

namespace herald::op::fixtures {

// A slack channel with only the required fields: every default applies.
inline nlohmann::json MinimalChannelJson(const std::string& type = "slack") {
  nlohmann::json spec = {{"type", type}, {"templateRef", {{"name", "quota-exceeded"}}}};
  if (type == "slack" || type == "teams") spec[type] = {{"webhookURLSecretRef", {{"name", "hook"}, {"key", "url"}}}};
  if (type == "webhook") spec[type] = {{"urlSecretRef", {{"name", "hook"}, {"key", "url"}}}};
  if (type == "email") spec[type] = {{"smtp", {{"host", "smtp.example.com"}}}, {"from", "herald@example.com"}};
  return {{"apiVersion", "herald.dev/v1alpha1"},
          {"kind", "NotificationChannel"},
          {"metadata",
           {{"name", "ops-alerts"},
            {"namespace", "team-a"},
            {"uid", "6f1b2c3d-0000-4000-8000-000000000001"},
            {"generation", 3},
            {"creationTimestamp", "2026-01-01T00:00:00Z"}}},
          {"spec", spec}};
}

// The contract's sample (contracts.md, "Resource shapes").
inline nlohmann::json SampleChannelJson() {
  nlohmann::json j = MinimalChannelJson("slack");
  j["spec"]["slack"] = {{"webhookURLSecretRef", {{"name", "slack-ops"}, {"key", "url"}}}};
  j["spec"]["kafka"] = {{"partitions", 6}, {"replicationFactor", 1}, {"retention", "168h"}};
  j["spec"]["delivery"] = {{"maxAttempts", 5},  {"backoff", {{"initial", "500ms"}, {"max", "30s"}, {"multiplier", 2}}},
                           {"timeout", "10s"},  {"rateLimit", {{"perSecond", 50}, {"burst", 100}}},
                           {"concurrency", 64}, {"deadLetter", {{"enabled", true}}}};
  j["spec"]["workers"] = {
      {"replicas", 2},
      {"autoscaling",
       {{"minReplicas", 2}, {"maxReplicas", 8}, {"targetCPUUtilization", 70}, {"scaleDown", "Disabled"}}},
      {"terminationGracePeriodSeconds", 30},
      {"drainTimeout", "20s"}};
  j["spec"]["suspend"] = false;
  j["spec"]["deletionPolicy"] = "Retain";
  return j;
}

inline Channel MustParse(const nlohmann::json& j) {
  auto c = ParseChannel(j);
  EXPECT_TRUE(c.ok()) << c.error();
  return c.ok() ? *c : Channel{};
}

}  // namespace herald::op::fixtures
