#include "operator/core/children.h"

#include <algorithm>

#include "operator/core/hash.h"
#include "operator/core/names.h"
#include "operator/core/secret_mounts.h"

namespace herald::op {
namespace {

using nlohmann::json;

// 0440 and 0444: Secrets readable by the worker's group (fsGroup) only; the
// config by anyone in the pod.
constexpr int kSecretFileMode = 0440;
constexpr int kConfigFileMode = 0444;

json Metadata(const Channel& channel, const std::string& name) {
  return {
      {"name", name},
      {"namespace", channel.namespace_name},
      {"labels", Labels(channel)},
      {"ownerReferences", json::array({OwnerReference(channel)})},
  };
}

json Object(std::string_view api_version, std::string_view kind, const Channel& channel, const std::string& name) {
  return {{"apiVersion", api_version}, {"kind", kind}, {"metadata", Metadata(channel, name)}};
}

json SecretVolume(const std::string& volume, const std::string& secret, const std::vector<std::string>& keys) {
  json source = {{"secretName", secret}, {"defaultMode", kSecretFileMode}};
  if (!keys.empty()) {
    json items = json::array();
    for (const auto& key : keys) items.push_back({{"key", key}, {"path", key}});
    source["items"] = std::move(items);
  }
  return {{"name", volume}, {"secret", std::move(source)}};
}

json Container(const OperatorSettings& settings, const std::vector<SecretMount>& mounts) {
  json volume_mounts = json::array({
      // subPath: the file lands at the documented path without hiding the
      // rest of /etc/herald; it does not see ConfigMap updates, which does
      // not matter because a new config rolls the pods (config hash).
      {{"name", "config"}, {"mountPath", SidecarConfigPath()}, {"subPath", kConfigKey}, {"readOnly", true}},
      {{"name", "tmp"}, {"mountPath", "/tmp"}},
  });
  for (const auto& m : mounts) {
    volume_mounts.push_back({{"name", m.volume}, {"mountPath", m.MountPath()}, {"readOnly", true}});
  }
  if (settings.kafka_properties) {
    volume_mounts.push_back({{"name", "kafka-properties"}, {"mountPath", kKafkaPropertiesDir}, {"readOnly", true}});
  }
  const WorkerResources& r = settings.resources;
  return {
      {"name", kSidecarName},
      {"image", settings.sidecar_image},
      {"imagePullPolicy", settings.image_pull_policy},
      {"args", {"--config", SidecarConfigPath()}},
      {"ports",
       {
           {{"name", "metrics"}, {"containerPort", kMetricsPort}, {"protocol", "TCP"}},
           {{"name", "probes"}, {"containerPort", kProbePort}, {"protocol", "TCP"}},
       }},
      {"readinessProbe",
       {{"httpGet", {{"path", "/readyz"}, {"port", "probes"}}},
        {"periodSeconds", 5},
        {"timeoutSeconds", 2},
        {"failureThreshold", 3}}},
      {"livenessProbe",
       {{"httpGet", {{"path", "/healthz"}, {"port", "probes"}}},
        {"periodSeconds", 10},
        {"timeoutSeconds", 2},
        {"failureThreshold", 3}}},
      // The sleep action (GA in Kubernetes 1.34, beta and on since 1.30)
      // needs no sleep binary in the image.
      {"lifecycle", {{"preStop", {{"sleep", {{"seconds", settings.pre_stop_seconds}}}}}}},
      {"resources",
       {{"requests", {{"cpu", r.cpu_request}, {"memory", r.memory_request}}},
        {"limits", {{"cpu", r.cpu_limit}, {"memory", r.memory_limit}}}}},
      {"securityContext",
       {{"allowPrivilegeEscalation", false},
        {"readOnlyRootFilesystem", true},
        {"runAsNonRoot", true},
        {"runAsUser", kWorkerUid},
        {"runAsGroup", kWorkerUid},
        {"capabilities", {{"drop", {"ALL"}}}},
        {"seccompProfile", {{"type", "RuntimeDefault"}}}}},
      // The sidecar's one-line reason for a bad config shows in the pod status.
      {"terminationMessagePolicy", "FallbackToLogsOnError"},
      {"volumeMounts", std::move(volume_mounts)},
  };
}

json Volumes(const Channel& channel, const OperatorSettings& settings, const std::vector<SecretMount>& mounts) {
  json volumes = json::array({
      {{"name", "config"},
       {"configMap",
        {{"name", ChildName(channel.name)},
         {"items", {{{"key", kConfigKey}, {"path", kConfigKey}}}},
         {"defaultMode", kConfigFileMode}}}},
      // The root filesystem is read-only; libraries that want scratch space get it here.
      {{"name", "tmp"}, {"emptyDir", {{"sizeLimit", "64Mi"}}}},
  });
  for (const auto& m : mounts) volumes.push_back(SecretVolume(m.volume, m.secret_name, m.keys));
  if (settings.kafka_properties) {
    volumes.push_back(
        SecretVolume("kafka-properties", KafkaPropertiesSecretName(channel), {std::string(kKafkaPropertiesKey)}));
  }
  return volumes;
}

}  // namespace

json OwnerReference(const Channel& channel) {
  return {
      {"apiVersion", kChannelApiVersion},
      {"kind", kChannelKind},
      {"name", channel.name},
      {"uid", channel.uid},
      {"controller", true},
      {"blockOwnerDeletion", true},
  };
}

json BuildConfigMap(const Channel& channel, std::string_view sidecar_yaml) {
  json cm = Object("v1", "ConfigMap", channel, ChildName(channel.name));
  cm["data"] = {{kConfigKey, sidecar_yaml}};
  return cm;
}

bool AutoscalerManagesReplicas(const Channel& channel) {
  return channel.workers.autoscaling.has_value() && !channel.suspend;
}

int64_t TerminationGracePeriodSeconds(const Channel& channel, const OperatorSettings& settings) {
  const auto drain = std::chrono::ceil<std::chrono::seconds>(channel.workers.drain_timeout).count();
  return std::max<int64_t>(channel.workers.termination_grace_period_seconds,
                           settings.pre_stop_seconds + drain + kShutdownMarginSeconds);
}

json BuildDeployment(const Channel& channel, const OperatorSettings& settings, std::string_view config_hash) {
  const auto mounts = SecretMounts(channel);
  const json selector = SelectorLabels(channel);
  json pod_spec = {
      // Workers never call the Kubernetes API.
      {"automountServiceAccountToken", false},
      {"enableServiceLinks", false},
      {"terminationGracePeriodSeconds", TerminationGracePeriodSeconds(channel, settings)},
      {"securityContext",
       {{"runAsNonRoot", true},
        {"runAsUser", kWorkerUid},
        {"runAsGroup", kWorkerUid},
        // Secret files are 0440; fsGroup makes the worker's group own them.
        {"fsGroup", kWorkerUid},
        {"seccompProfile", {{"type", "RuntimeDefault"}}}}},
      {"topologySpreadConstraints",
       {{{"maxSkew", 1},
         {"topologyKey", "kubernetes.io/hostname"},
         {"whenUnsatisfiable", "ScheduleAnyway"},
         {"labelSelector", {{"matchLabels", selector}}},
         // Spread each ReplicaSet on its own, so a rollout does not count old pods.
         {"matchLabelKeys", {"pod-template-hash"}}}}},
      {"containers", json::array({Container(settings, mounts)})},
      {"volumes", Volumes(channel, settings, mounts)},
  };
  json spec = {
      {"selector", {{"matchLabels", selector}}},
      // One extra pod at a time and none taken away early: each change of
      // membership rebalances the consumer group, so fewer steps are better.
      {"strategy", {{"type", "RollingUpdate"}, {"rollingUpdate", {{"maxSurge", 1}, {"maxUnavailable", 0}}}}},
      {"template",
       {{"metadata",
         {{"labels", Labels(channel)},
          {"annotations",
           {{kConfigHashAnnotation, config_hash}, {"kubectl.kubernetes.io/default-container", kSidecarName}}}}},
        {"spec", std::move(pod_spec)}}},
  };
  if (channel.suspend) {
    spec["replicas"] = 0;
  } else if (!AutoscalerManagesReplicas(channel)) {
    spec["replicas"] = channel.workers.replicas;
  }
  json deployment = Object("apps/v1", "Deployment", channel, ChildName(channel.name));
  deployment["spec"] = std::move(spec);
  return deployment;
}

std::optional<json> BuildHorizontalPodAutoscaler(const Channel& channel) {
  if (!AutoscalerManagesReplicas(channel)) return std::nullopt;
  const Autoscaling& a = *channel.workers.autoscaling;
  json scale_down = {{"selectPolicy", "Disabled"}};
  if (a.scale_down == ScaleDown::kEnabled) {
    scale_down = {{"stabilizationWindowSeconds", 300},
                  {"selectPolicy", "Min"},
                  {"policies", {{{"type", "Pods"}, {"value", 1}, {"periodSeconds", 120}}}}};
  }
  json hpa = Object("autoscaling/v2", "HorizontalPodAutoscaler", channel, ChildName(channel.name));
  hpa["spec"] = {
      {"scaleTargetRef", {{"apiVersion", "apps/v1"}, {"kind", "Deployment"}, {"name", ChildName(channel.name)}}},
      {"minReplicas", a.min_replicas},
      {"maxReplicas", a.max_replicas},
      {"metrics",
       {{{"type", "Resource"},
         {"resource",
          {{"name", "cpu"},
           {"target", {{"type", "Utilization"}, {"averageUtilization", a.target_cpu_utilization}}}}}}}},
      {"behavior",
       {{"scaleUp",
         {// A short window absorbs a single CPU spike without delaying a real backlog much.
          {"stabilizationWindowSeconds", 30},
          {"selectPolicy", "Max"},
          {"policies",
           {{{"type", "Pods"}, {"value", 4}, {"periodSeconds", 60}},
            {{"type", "Percent"}, {"value", 100}, {"periodSeconds", 60}}}}}},
        {"scaleDown", std::move(scale_down)}}},
  };
  return hpa;
}

std::optional<json> BuildPodDisruptionBudget(const Channel& channel) {
  if (channel.suspend) return std::nullopt;
  const int32_t most =
      channel.workers.autoscaling ? channel.workers.autoscaling->max_replicas : channel.workers.replicas;
  if (most <= 1) return std::nullopt;
  json pdb = Object("policy/v1", "PodDisruptionBudget", channel, ChildName(channel.name));
  pdb["spec"] = {
      {"maxUnavailable", 1},
      {"selector", {{"matchLabels", SelectorLabels(channel)}}},
      // A crash-looping worker must not block node drains.
      {"unhealthyPodEvictionPolicy", "AlwaysAllow"},
  };
  return pdb;
}

json BuildMetricsService(const Channel& channel) {
  json svc = Object("v1", "Service", channel, ChildName(channel.name));
  // Headless: Prometheus scrapes the pods behind it, nothing needs a virtual
  // IP, and a thousand channels would otherwise take a thousand addresses
  // from the cluster's service range (the local stack's /24 ran out at 254).
  svc["spec"] = {
      {"type", "ClusterIP"},
      {"clusterIP", "None"},
      {"selector", SelectorLabels(channel)},
      {"ports", {{{"name", "metrics"}, {"port", kMetricsPort}, {"targetPort", "metrics"}, {"protocol", "TCP"}}}},
  };
  return svc;
}

std::string KafkaPropertiesSecretName(const Channel& channel) { return ChildName(channel.name, "-kafka"); }

json BuildKafkaPropertiesSecret(const Channel& channel, std::string_view properties) {
  json secret = Object("v1", "Secret", channel, KafkaPropertiesSecretName(channel));
  secret["type"] = "Opaque";
  secret["data"] = {{kKafkaPropertiesKey, Base64Encode(properties)}};
  return secret;
}

}  // namespace herald::op
