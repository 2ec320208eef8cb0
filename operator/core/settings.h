#pragma once
// Operator-wide settings the desired-state builders need: values from the
// operator's flags and environment, the same for every channel.
#include <cstdint>
#include <string>

namespace herald::op {

// Worker ports (contracts.md, "Process interfaces"); the sidecar config and
// the Deployment, Service and probes all use these.
inline constexpr int32_t kMetricsPort = 8080;  // /metrics
inline constexpr int32_t kProbePort = 8081;    // /healthz, /readyz

// Requests and limits of each worker container, as Kubernetes quantities.
// The CPU request matters twice: the scheduler packs by it and the HPA's
// targetCPUUtilization is a percentage of it.
struct WorkerResources {
  std::string cpu_request = "100m";
  std::string memory_request = "64Mi";
  std::string cpu_limit = "1";
  std::string memory_limit = "256Mi";
};

struct OperatorSettings {
  // herald-sidecar image for the workers (--sidecar-image).
  std::string sidecar_image = std::string("herald-sidecar:") + HERALD_VERSION;
  std::string image_pull_policy = "IfNotPresent";
  // Kafka bootstrap servers the workers connect to (--kafka-bootstrap-servers).
  std::string bootstrap_servers;
  // Lifecycle events topic written by the workers; "" turns events off.
  std::string events_topic = "herald.events";
  // Whether the operator has a Secret of librdkafka properties (TLS, SASL) to
  // hand to the workers. When true, the reconciler applies
  // BuildKafkaPropertiesSecret (children.h) into each channel's namespace and
  // the workers mount it at /etc/herald/kafka/client.properties.
  bool kafka_properties = false;
  // The properties file as the operator read it (--kafka-properties-file):
  // the Secret's content, and part of the config hash so new credentials
  // roll the workers.
  std::string kafka_properties_text;
  // log.level of the workers: debug | info | warn | error.
  std::string log_level = "info";
  WorkerResources resources;
  // preStop sleep, so endpoints and the consumer group notice the pod is
  // going before it stops taking work.
  int64_t pre_stop_seconds = 5;
};

}  // namespace herald::op
