#pragma once
// The sidecar's configuration file (docs/sidecar-config.md), parsed and
// validated once at start-up. Every error names the key at fault.
#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "herald/render.h"
#include "herald/result.h"

namespace herald::config {

struct BackoffConfig {
  std::chrono::milliseconds initial{500};
  std::chrono::milliseconds max{30000};
  double multiplier = 2.0;
};

struct DeliveryConfig {
  int max_attempts = 5;
  BackoffConfig backoff;
  std::chrono::milliseconds timeout{10000};
  std::optional<double> rate_per_second;  // no limit when absent
  double rate_burst = 0;                  // defaults to the rate
  int concurrency = 64;
  bool dead_letter = true;
  size_t max_message_bytes = 1048576;
  size_t dedupe_per_partition = 10000;
};

struct SmtpConfig {
  std::string host;
  int port = 587;
  std::string tls = "starttls";  // starttls | implicit | none
  std::string username_file, password_file, ca_file;
};

struct SidecarConfig {
  std::string channel_namespace, channel_name;
  ChannelKind kind = ChannelKind::kWebhook;

  std::string bootstrap_servers, topic, dead_letter_topic, group_id;
  std::string events_topic = "herald.events";
  std::string kafka_properties_file;

  DeliveryConfig delivery;
  std::chrono::milliseconds drain_timeout{20000};
  TemplateSpec template_spec;

  std::string url_file;                        // slack / teams webhook URL, or webhook url
  std::string signing_secret_file;             // webhook
  std::map<std::string, std::string> headers;  // webhook
  std::string headers_dir;  // webhook: one file per header (a mounted Secret), for credential headers
  SmtpConfig smtp;
  std::string email_from;
  std::vector<std::string> email_to;

  std::string metrics_address = ":8080";
  std::string probe_address = ":8081";
  std::string log_level = "info";

  std::string ChannelId() const { return channel_namespace + "/" + channel_name; }
};

// Parses YAML text. Returns the configuration, or an error of one line:
// "<key path>: <what is wrong>".
[[nodiscard]] Result<SidecarConfig> ParseSidecarConfig(const std::string& yaml_text);
// Reads and parses the file; errors are prefixed with "config <path>: ".
[[nodiscard]] Result<SidecarConfig> LoadSidecarConfig(const std::string& path);

}  // namespace herald::config
