#pragma once
// A NotificationChannel as the operator reasons about it: the object the API
// server returns, parsed once into typed values with every CRD default
// applied. The API server applies the same defaults and validation, but the
// operator does not rely on that alone: an object written before a CRD
// upgrade, or by a client that skipped validation (status-only writes,
// --validate=false on older servers), must not crash or mislead the builders.
// Everything downstream (names, topics, sidecar config, children, status)
// takes a Channel and never looks at the raw JSON again.
#include <chrono>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "herald/render.h"
#include "herald/result.h"

namespace herald::op {

// One key of a Secret in the channel's namespace.
struct SecretKeyRef {
  std::string name;
  std::string key;
};

// A whole Secret in the channel's namespace (its keys are fixed by the field
// that refers to it, e.g. username/password for SMTP credentials).
struct SecretRef {
  std::string name;
};

struct EmailSpec {
  struct Smtp {
    std::string host;
    int32_t port = 587;
    std::string tls = "starttls";  // starttls | implicit | none
    std::optional<SecretRef> credentials;
    // PEM CA bundle trusted in addition to the system store (private CAs).
    std::optional<SecretKeyRef> ca;
  } smtp;
  std::string from;
  std::vector<std::string> to;
};

struct SlackSpec {
  SecretKeyRef webhook_url;
};

struct TeamsSpec {
  SecretKeyRef webhook_url;
};

struct WebhookSpec {
  SecretKeyRef url;
  std::optional<SecretKeyRef> signing;
  std::map<std::string, std::string> headers;  // sorted, so rendering is deterministic
  std::optional<SecretRef> headers_secret;
};

struct KafkaSpec {
  std::optional<std::string> topic;  // override of herald.<ns>.<name>
  int32_t partitions = 6;
  int32_t replication_factor = 1;
  std::chrono::nanoseconds retention = std::chrono::hours{168};
};

struct RateLimit {
  int32_t per_second = 0;
  int32_t burst = 0;  // defaults to per_second
};

struct DeliverySpec {
  int32_t max_attempts = 5;
  struct Backoff {
    std::chrono::nanoseconds initial = std::chrono::milliseconds{500};
    std::chrono::nanoseconds max = std::chrono::seconds{30};
    double multiplier = 2;
  } backoff;
  std::chrono::nanoseconds timeout = std::chrono::seconds{10};
  std::optional<RateLimit> rate_limit;  // nullopt: no limit
  int32_t concurrency = 64;
  bool dead_letter_enabled = true;
};

enum class ScaleDown { kDisabled, kEnabled };

struct Autoscaling {
  int32_t min_replicas = 1;
  int32_t max_replicas = 1;
  int32_t target_cpu_utilization = 70;
  ScaleDown scale_down = ScaleDown::kDisabled;
};

struct WorkersSpec {
  int32_t replicas = 2;
  std::optional<Autoscaling> autoscaling;
  int64_t termination_grace_period_seconds = 30;
  std::chrono::nanoseconds drain_timeout = std::chrono::seconds{20};
};

enum class DeletionPolicy { kRetain, kDelete };

struct Channel {
  // metadata
  std::string namespace_name;
  std::string name;
  std::string uid;
  int64_t generation = 0;
  std::string creation_timestamp;  // RFC 3339 as the API server writes it; "" when absent

  // spec
  ChannelKind type = ChannelKind::kWebhook;
  std::string template_name;  // spec.templateRef.name, in namespace_name
  std::optional<EmailSpec> email;
  std::optional<SlackSpec> slack;
  std::optional<TeamsSpec> teams;
  std::optional<WebhookSpec> webhook;
  KafkaSpec kafka;
  DeliverySpec delivery;
  WorkersSpec workers;
  bool suspend = false;
  DeletionPolicy deletion_policy = DeletionPolicy::kRetain;
};

// Namespace and name of an object, e.g. the Template a channel uses.
struct ObjectKey {
  std::string namespace_name;
  std::string name;
  friend bool operator==(const ObjectKey&, const ObjectKey&) = default;
  friend auto operator<=>(const ObjectKey&, const ObjectKey&) = default;
};

// Parses a NotificationChannel object (apiVersion/kind/metadata/spec, as the
// API server returns it), applying the CRD defaults to absent or null fields
// and checking types, enums, bounds, the per-type section rules and the Kafka
// topic names (names.h). Unknown fields are ignored; status is not read.
// Requires metadata.name, metadata.namespace and metadata.uid (children carry
// an ownerReference to the uid).
// Returns the Channel, or an Error whose message starts with the field path,
// e.g. "spec.kafka.partitions: must be an integer from 1 to 10000, got 0",
// "spec.slack: required when spec.type is slack". Never throws.
[[nodiscard]] Result<Channel> ParseChannel(const nlohmann::json& object);

// Returns the Template the channel renders with: {namespace, templateRef.name}.
[[nodiscard]] ObjectKey TemplateRef(const Channel& channel);

// "namespace/name", for messages and logs.
[[nodiscard]] std::string ChannelKey(const Channel& channel);

}  // namespace herald::op
