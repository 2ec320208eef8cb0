#pragma once
// Where each Secret a channel refers to is mounted in the worker pods. The
// sidecar config (file paths) and the Deployment (volumes, mounts) are both
// derived from this one list, so they cannot disagree.
#include <string>
#include <string_view>
#include <vector>

#include "operator/core/channel.h"

namespace herald::op {

inline constexpr std::string_view kSecretsRoot = "/etc/herald/secrets";
inline constexpr std::string_view kConfigDir = "/etc/herald";
inline constexpr std::string_view kConfigKey = "sidecar.yaml";  // ConfigMap key and file name
inline constexpr std::string_view kKafkaPropertiesDir = "/etc/herald/kafka";
inline constexpr std::string_view kKafkaPropertiesKey = "client.properties";

struct SecretMount {
  std::string volume;       // volume name and directory under kSecretsRoot, e.g. "slack"
  std::string secret_name;  // Secret in the channel's namespace
  // Keys projected as files; empty projects the whole Secret (a directory
  // whose file names are the keys, e.g. headersSecretRef's header names).
  std::vector<std::string> keys;

  // Returns "/etc/herald/secrets/<volume>".
  [[nodiscard]] std::string MountPath() const;
  // Returns "/etc/herald/secrets/<volume>/<key>".
  [[nodiscard]] std::string FilePath(std::string_view key) const;
};

// Returns the mounts for the channel's Secret references, in a fixed order:
//   email    smtp (username, password) when credentialsSecretRef is set,
//            smtp-ca (caSecretRef.key) when caSecretRef is set
//   slack    slack (webhookURLSecretRef.key)
//   teams    teams (webhookURLSecretRef.key)
//   webhook  webhook (urlSecretRef.key), webhook-signing (signingSecretRef.key),
//            webhook-headers (the whole headersSecretRef Secret)
// One volume per reference, even when two references name the same Secret,
// so each file sits where the sidecar config says.
[[nodiscard]] std::vector<SecretMount> SecretMounts(const Channel& channel);

// Returns "/etc/herald/sidecar.yaml", the --config argument of the workers.
[[nodiscard]] std::string SidecarConfigPath();
// Returns "/etc/herald/kafka/client.properties".
[[nodiscard]] std::string KafkaPropertiesPath();

}  // namespace herald::op
