#include "operator/core/secret_mounts.h"

#include <gtest/gtest.h>

#include <functional>

#include "operator/core/test_fixtures.h"

namespace herald::op {
namespace {

using fixtures::MinimalChannelJson;
using fixtures::MustParse;
using nlohmann::json;

struct Want {
  std::string volume, secret;
  std::vector<std::string> keys;
};

TEST(SecretMountsTest, PerType) {
  const struct {
    std::string type;
    std::function<void(json&)> edit;
    std::vector<Want> want;
  } cases[] = {
      {"slack", [](json&) {}, {{"slack", "hook", {"url"}}}},
      {"teams", [](json&) {}, {{"teams", "hook", {"url"}}}},
      {"webhook", [](json&) {}, {{"webhook", "hook", {"url"}}}},
      {"webhook",
       [](json& j) {
         j["spec"]["webhook"]["signingSecretRef"] = {{"name", "hook"}, {"key", "secret"}};
         j["spec"]["webhook"]["headersSecretRef"] = {{"name", "hook-headers"}};
       },
       {{"webhook", "hook", {"url"}},
        {"webhook-signing", "hook", {"secret"}},
        {"webhook-headers", "hook-headers", {}}}},
      {"email", [](json&) {}, {}},
      {"email",
       [](json& j) {
         j["spec"]["email"]["smtp"]["credentialsSecretRef"] = {{"name", "smtp-creds"}};
       },
       {{"smtp", "smtp-creds", {"username", "password"}}}},
      {"email",
       [](json& j) {
         j["spec"]["email"]["smtp"]["credentialsSecretRef"] = {{"name", "smtp"}};
         j["spec"]["email"]["smtp"]["caSecretRef"] = {{"name", "smtp"}, {"key", "ca.crt"}};
       },
       {{"smtp", "smtp", {"username", "password"}}, {"smtp-ca", "smtp", {"ca.crt"}}}},
      {"email",
       [](json& j) {
         j["spec"]["email"]["smtp"]["caSecretRef"] = {{"name", "corp-ca"}, {"key", "bundle.pem"}};
       },
       {{"smtp-ca", "corp-ca", {"bundle.pem"}}}},
  };
  for (const auto& tc : cases) {
    json j = MinimalChannelJson(tc.type);
    tc.edit(j);
    const auto mounts = SecretMounts(MustParse(j));
    ASSERT_EQ(mounts.size(), tc.want.size()) << tc.type;
    for (size_t i = 0; i < mounts.size(); ++i) {
      EXPECT_EQ(mounts[i].volume, tc.want[i].volume);
      EXPECT_EQ(mounts[i].secret_name, tc.want[i].secret);
      EXPECT_EQ(mounts[i].keys, tc.want[i].keys);
    }
  }
}

TEST(SecretMountsTest, Paths) {
  const SecretMount m{"slack", "hook", {"url"}};
  EXPECT_EQ(m.MountPath(), "/etc/herald/secrets/slack");
  EXPECT_EQ(m.FilePath("url"), "/etc/herald/secrets/slack/url");
  EXPECT_EQ(SidecarConfigPath(), "/etc/herald/sidecar.yaml");
  EXPECT_EQ(KafkaPropertiesPath(), "/etc/herald/kafka/client.properties");
}

}  // namespace
}  // namespace herald::op
