#include "operator/core/secret_mounts.h"

namespace herald::op {

std::string SecretMount::MountPath() const { return std::string(kSecretsRoot) + "/" + volume; }

std::string SecretMount::FilePath(std::string_view key) const { return MountPath() + "/" + std::string(key); }

std::vector<SecretMount> SecretMounts(const Channel& channel) {
  std::vector<SecretMount> mounts;
  switch (channel.type) {
    case ChannelKind::kEmail:
      if (channel.email && channel.email->smtp.credentials) {
        mounts.push_back({"smtp", channel.email->smtp.credentials->name, {"username", "password"}});
      }
      if (channel.email && channel.email->smtp.ca) {
        mounts.push_back({"smtp-ca", channel.email->smtp.ca->name, {channel.email->smtp.ca->key}});
      }
      break;
    case ChannelKind::kSlack:
      if (channel.slack) mounts.push_back({"slack", channel.slack->webhook_url.name, {channel.slack->webhook_url.key}});
      break;
    case ChannelKind::kTeams:
      if (channel.teams) mounts.push_back({"teams", channel.teams->webhook_url.name, {channel.teams->webhook_url.key}});
      break;
    case ChannelKind::kWebhook:
      if (channel.webhook) {
        mounts.push_back({"webhook", channel.webhook->url.name, {channel.webhook->url.key}});
        if (channel.webhook->signing) {
          mounts.push_back({"webhook-signing", channel.webhook->signing->name, {channel.webhook->signing->key}});
        }
        if (channel.webhook->headers_secret) {
          mounts.push_back({"webhook-headers", channel.webhook->headers_secret->name, {}});
        }
      }
      break;
  }
  return mounts;
}

std::string SidecarConfigPath() { return std::string(kConfigDir) + "/" + std::string(kConfigKey); }

std::string KafkaPropertiesPath() { return std::string(kKafkaPropertiesDir) + "/" + std::string(kKafkaPropertiesKey); }

}  // namespace herald::op
