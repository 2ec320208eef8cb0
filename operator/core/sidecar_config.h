#pragma once
// The sidecar's configuration file (docs/sidecar-config.md), rendered from a
// channel, its Template's spec and the operator's settings. It goes into the
// channel's ConfigMap; its hash goes on the pod template, so any change to
// the channel, the template or the settings rolls the workers.
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "herald/result.h"
#include "operator/core/channel.h"
#include "operator/core/settings.h"

namespace herald::op {

// Renders sidecar.yaml. Output is deterministic (fixed key order, header
// names sorted, every string value double-quoted), so equal inputs give
// byte-identical files and hashes. Credentials never appear: Secret
// references become file paths from SecretMounts (secret_mounts.h). The
// template section copies the Template spec's contentVersion, subject, text,
// html, slack, teams and webhook verbatim (sample and unknown fields are
// left out: the sidecar refuses unknown keys).
// Returns the YAML text (ending in a newline), or an Error when
// `template_spec` is not an object or a copied field has the wrong type
// ("template.slack.blocks: must be a string, got array"), or when
// settings.bootstrap_servers is empty.
[[nodiscard]] Result<std::string> RenderSidecarConfig(const Channel& channel, const nlohmann::json& template_spec,
                                                      const OperatorSettings& settings);

// Returns the SHA-256 (64 hex digits) of the rendered config, or, when the
// workers also get a Kafka properties file, of config + NUL + properties, so
// rotating Kafka credentials rolls the workers too. This is the value of the
// pod annotation herald.dev/config-hash.
[[nodiscard]] std::string ConfigHash(std::string_view sidecar_yaml,
                                     std::optional<std::string_view> kafka_properties = std::nullopt);

}  // namespace herald::op
