#pragma once
// The Kubernetes objects a NotificationChannel owns, built as full JSON for
// server-side apply: apiVersion, kind, metadata (name, namespace, the
// contract's labels, a controller ownerReference to the channel) and the
// fields Herald decides, nothing the server owns (no status, uid,
// resourceVersion or creationTimestamp). Applying the same object twice is a
// no-op, and fields Herald stops setting are released.
//
// A builder returning std::optional says "this object should not exist" with
// nullopt; the reconciler then deletes it if present.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "operator/core/channel.h"
#include "operator/core/settings.h"

namespace herald::op {

inline constexpr std::string_view kChannelApiVersion = "herald.dev/v1alpha1";
inline constexpr std::string_view kChannelKind = "NotificationChannel";
// Non-root user and group of the workers (distroless "nonroot").
inline constexpr int64_t kWorkerUid = 65532;
// Time the sidecar gets after draining to commit offsets and exit, on top
// of the preStop sleep and drainTimeout.
inline constexpr int64_t kShutdownMarginSeconds = 5;

// Returns the ownerReference to the channel (controller and
// blockOwnerDeletion true), so deleting the channel garbage-collects its
// children and the operator's watches map a child back to its channel.
[[nodiscard]] nlohmann::json OwnerReference(const Channel& channel);

// Returns the ConfigMap ChildName(channel) with data {"sidecar.yaml": yaml}.
[[nodiscard]] nlohmann::json BuildConfigMap(const Channel& channel, std::string_view sidecar_yaml);

// Returns the worker Deployment ChildName(channel): herald-sidecar with
// `--config /etc/herald/sidecar.yaml`, named ports metrics 8080 and probes
// 8081, /readyz and /healthz probes, a preStop sleep, the restricted security
// profile, requests/limits, spread across nodes, the Secret volumes of
// SecretMounts (and the Kafka properties Secret when settings say so), and
// the pod annotation herald.dev/config-hash = `config_hash` (ConfigHash).
// spec.replicas: 0 when suspended; left out when an HPA manages it (so apply
// does not fight the autoscaler); spec.workers.replicas otherwise.
[[nodiscard]] nlohmann::json BuildDeployment(const Channel& channel, const OperatorSettings& settings,
                                             std::string_view config_hash);

// Returns the autoscaling/v2 HPA for the Deployment when
// spec.workers.autoscaling is set and the channel is not suspended, else
// nullopt. Scale-up is bounded (4 pods or 100% per minute); scale-down is
// `selectPolicy: Disabled` unless scaleDown is Enabled, and then one pod per
// two minutes after a 5-minute window: every scale-down rebalances the group.
[[nodiscard]] std::optional<nlohmann::json> BuildHorizontalPodAutoscaler(const Channel& channel);

// Returns a policy/v1 PodDisruptionBudget (maxUnavailable 1) when more than
// one worker can run (replicas > 1, or maxReplicas > 1 with autoscaling) and
// the channel is not suspended, else nullopt.
[[nodiscard]] std::optional<nlohmann::json> BuildPodDisruptionBudget(const Channel& channel);

// Returns the headless Service ChildName(channel) exposing port 8080
// "metrics" of the workers, for Prometheus.
[[nodiscard]] nlohmann::json BuildMetricsService(const Channel& channel);

// Returns ChildName(channel, "-kafka"): the channel's copy of the operator's
// Kafka properties Secret (pods can only mount Secrets of their namespace).
[[nodiscard]] std::string KafkaPropertiesSecretName(const Channel& channel);
// Returns that Secret, with `properties` (librdkafka key=value lines) under
// the key client.properties.
[[nodiscard]] nlohmann::json BuildKafkaPropertiesSecret(const Channel& channel, std::string_view properties);

// Returns true when an HPA owns the replica count (autoscaling set, not
// suspended).
[[nodiscard]] bool AutoscalerManagesReplicas(const Channel& channel);

// Returns spec.workers.terminationGracePeriodSeconds, raised to
// preStop + ceil(drainTimeout) + kShutdownMarginSeconds when shorter, so
// Kubernetes never kills a worker while it drains.
[[nodiscard]] int64_t TerminationGracePeriodSeconds(const Channel& channel, const OperatorSettings& settings);

}  // namespace herald::op
