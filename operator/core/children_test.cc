#include "operator/core/children.h"

#include <gtest/gtest.h>

#include <functional>

#include "operator/core/test_fixtures.h"

namespace herald::op {
namespace {

using fixtures::MinimalChannelJson;
using fixtures::MustParse;
using fixtures::SampleChannelJson;
using nlohmann::json;

OperatorSettings Settings() {
  OperatorSettings s;
  s.sidecar_image = "registry.example/herald-sidecar:1.2.3";
  s.bootstrap_servers = "kafka:9092";
  return s;
}

const json kOwner = {{"apiVersion", "herald.dev/v1alpha1"},
                     {"kind", "NotificationChannel"},
                     {"name", "ops-alerts"},
                     {"uid", "6f1b2c3d-0000-4000-8000-000000000001"},
                     {"controller", true},
                     {"blockOwnerDeletion", true}};

// Every child: identity for SSA, contract labels, controller owner, nothing server-owned.
void ExpectChildMetadata(const json& obj, const std::string& api_version, const std::string& kind,
                         const std::string& name = "herald-ops-alerts") {
  SCOPED_TRACE(kind);
  EXPECT_EQ(obj["apiVersion"], api_version);
  EXPECT_EQ(obj["kind"], kind);
  EXPECT_EQ(obj["metadata"]["name"], name);
  EXPECT_EQ(obj["metadata"]["namespace"], "team-a");
  const json& labels = obj["metadata"]["labels"];
  EXPECT_EQ(labels["app.kubernetes.io/managed-by"], "herald-operator");
  EXPECT_EQ(labels["app.kubernetes.io/part-of"], "herald");
  EXPECT_EQ(labels["herald.dev/channel"], "ops-alerts");
  EXPECT_EQ(obj["metadata"]["ownerReferences"], json::array({kOwner}));
  for (const char* server_owned : {"uid", "resourceVersion", "creationTimestamp", "generation", "managedFields"}) {
    EXPECT_FALSE(obj["metadata"].contains(server_owned)) << server_owned;
  }
  EXPECT_FALSE(obj.contains("status"));
}

const json& Container(const json& deployment) { return deployment["spec"]["template"]["spec"]["containers"][0]; }

json FindByName(const json& list, const std::string& name) {
  for (const auto& item : list) {
    if (item["name"] == name) return item;
  }
  return nullptr;
}

TEST(OwnerReferenceTest, ControllerOwner) { EXPECT_EQ(OwnerReference(MustParse(MinimalChannelJson())), kOwner); }

TEST(BuildConfigMapTest, HoldsTheConfig) {
  const json cm = BuildConfigMap(MustParse(MinimalChannelJson()), "channel: {}\n");
  ExpectChildMetadata(cm, "v1", "ConfigMap");
  EXPECT_EQ(cm["data"], json({{"sidecar.yaml", "channel: {}\n"}}));
}

TEST(BuildDeploymentTest, Workers) {
  const json d = BuildDeployment(MustParse(MinimalChannelJson()), Settings(), "abc123");
  ExpectChildMetadata(d, "apps/v1", "Deployment");
  const json& spec = d["spec"];
  EXPECT_EQ(spec["replicas"], 2);
  const json selector = {{"app.kubernetes.io/name", "herald-sidecar"}, {"herald.dev/channel", "ops-alerts"}};
  EXPECT_EQ(spec["selector"], json({{"matchLabels", selector}}));
  const json& tmpl = spec["template"];
  for (const auto& [k, v] : selector.items()) EXPECT_EQ(tmpl["metadata"]["labels"][k], v) << k;
  EXPECT_EQ(tmpl["metadata"]["annotations"]["herald.dev/config-hash"], "abc123");

  const json& pod = tmpl["spec"];
  EXPECT_EQ(pod["automountServiceAccountToken"], false);
  EXPECT_EQ(pod["terminationGracePeriodSeconds"], 30);
  EXPECT_EQ(pod["securityContext"]["runAsNonRoot"], true);
  EXPECT_EQ(pod["securityContext"]["fsGroup"], 65532);
  EXPECT_EQ(pod["securityContext"]["seccompProfile"]["type"], "RuntimeDefault");
  const json& spread = pod["topologySpreadConstraints"][0];
  EXPECT_EQ(spread["topologyKey"], "kubernetes.io/hostname");
  EXPECT_EQ(spread["labelSelector"]["matchLabels"], selector);
  EXPECT_EQ(spread["matchLabelKeys"], json::array({"pod-template-hash"}));

  const json& c = Container(d);
  EXPECT_EQ(pod["containers"].size(), 1u);
  EXPECT_EQ(c["name"], "herald-sidecar");
  EXPECT_EQ(c["image"], "registry.example/herald-sidecar:1.2.3");
  EXPECT_EQ(c["args"], json::array({"--config", "/etc/herald/sidecar.yaml"}));
  EXPECT_EQ(c["ports"], json::parse(R"([{"name":"metrics","containerPort":8080,"protocol":"TCP"},
                                         {"name":"probes","containerPort":8081,"protocol":"TCP"}])"));
  EXPECT_EQ(c["readinessProbe"]["httpGet"], json({{"path", "/readyz"}, {"port", "probes"}}));
  EXPECT_EQ(c["livenessProbe"]["httpGet"], json({{"path", "/healthz"}, {"port", "probes"}}));
  EXPECT_EQ(c["lifecycle"], json::parse(R"({"preStop":{"sleep":{"seconds":5}}})"));
  EXPECT_EQ(c["resources"], json::parse(R"({"requests":{"cpu":"100m","memory":"64Mi"},
                                             "limits":{"cpu":"1","memory":"256Mi"}})"));
  EXPECT_EQ(c["securityContext"], json::parse(R"({"allowPrivilegeEscalation":false,"readOnlyRootFilesystem":true,
      "runAsNonRoot":true,"runAsUser":65532,"runAsGroup":65532,"capabilities":{"drop":["ALL"]},
      "seccompProfile":{"type":"RuntimeDefault"}})"));

  EXPECT_EQ(FindByName(pod["volumes"], "config"), json::parse(R"({"name":"config","configMap":{
      "name":"herald-ops-alerts","items":[{"key":"sidecar.yaml","path":"sidecar.yaml"}],"defaultMode":292}})"));
  EXPECT_EQ(FindByName(pod["volumes"], "slack"), json::parse(R"({"name":"slack","secret":{
      "secretName":"hook","items":[{"key":"url","path":"url"}],"defaultMode":288}})"));
  EXPECT_EQ(FindByName(c["volumeMounts"], "config"),
            json::parse(R"({"name":"config","mountPath":"/etc/herald/sidecar.yaml","subPath":"sidecar.yaml",
                            "readOnly":true})"));
  EXPECT_EQ(FindByName(c["volumeMounts"], "slack"),
            json::parse(R"({"name":"slack","mountPath":"/etc/herald/secrets/slack","readOnly":true})"));
  EXPECT_TRUE(FindByName(pod["volumes"], "kafka-properties").is_null());
  // Every mount has its volume.
  for (const auto& m : c["volumeMounts"]) EXPECT_FALSE(FindByName(pod["volumes"], m["name"]).is_null()) << m;
}

TEST(BuildDeploymentTest, Replicas) {
  const struct {
    std::string name;
    std::function<void(json&)> edit;
    std::optional<int> replicas;  // nullopt: left to the HPA
  } cases[] = {
      {"spec.workers.replicas",
       [](json& j) {
         j["spec"]["workers"] = {{"replicas", 5}};
       },
       5},
      {"suspended", [](json& j) { j["spec"]["suspend"] = true; }, 0},
      {"autoscaled",
       [](json& j) {
         j["spec"]["workers"] = {{"autoscaling", {{"maxReplicas", 4}}}};
       },
       std::nullopt},
      {"autoscaled but suspended",
       [](json& j) {
         j["spec"]["workers"] = {{"autoscaling", {{"maxReplicas", 4}}}};
         j["spec"]["suspend"] = true;
       },
       0},
  };
  for (const auto& tc : cases) {
    SCOPED_TRACE(tc.name);
    json j = MinimalChannelJson();
    tc.edit(j);
    const json d = BuildDeployment(MustParse(j), Settings(), "h");
    EXPECT_EQ(d["spec"].contains("replicas"), tc.replicas.has_value());
    if (tc.replicas) {
      EXPECT_EQ(d["spec"]["replicas"], *tc.replicas);
    }
  }
}

TEST(BuildDeploymentTest, TerminationGracePeriodCoversDrain) {
  const struct {
    int64_t grace;
    std::string drain;
    int64_t pre_stop;
    int64_t want;
  } cases[] = {
      {30, "20s", 5, 30},    // defaults: 5 + 20 + 5 fits exactly
      {30, "25s", 5, 35},    // raised
      {30, "24.1s", 5, 35},  // drain rounds up
      {120, "20s", 5, 120},  // user's longer value kept
      {1, "0", 5, 10},       // never below preStop + margin
      {30, "20s", 0, 30},
  };
  for (const auto& tc : cases) {
    json j = MinimalChannelJson();
    j["spec"]["workers"] = {{"terminationGracePeriodSeconds", tc.grace}, {"drainTimeout", tc.drain}};
    OperatorSettings s = Settings();
    s.pre_stop_seconds = tc.pre_stop;
    const Channel c = MustParse(j);
    EXPECT_EQ(TerminationGracePeriodSeconds(c, s), tc.want) << tc.drain;
    EXPECT_EQ(BuildDeployment(c, s, "h")["spec"]["template"]["spec"]["terminationGracePeriodSeconds"], tc.want);
  }
}

TEST(BuildDeploymentTest, SecretVolumes) {
  json j = MinimalChannelJson("webhook");
  j["spec"]["webhook"]["signingSecretRef"] = {{"name", "hook"}, {"key", "secret"}};
  j["spec"]["webhook"]["headersSecretRef"] = {{"name", "hook-headers"}};
  OperatorSettings s = Settings();
  s.kafka_properties = true;
  const json d = BuildDeployment(MustParse(j), s, "h");
  const json& volumes = d["spec"]["template"]["spec"]["volumes"];
  EXPECT_EQ(FindByName(volumes, "webhook")["secret"]["items"], json::parse(R"([{"key":"url","path":"url"}])"));
  EXPECT_EQ(FindByName(volumes, "webhook-signing")["secret"]["items"],
            json::parse(R"([{"key":"secret","path":"secret"}])"));
  // The whole Secret: its keys are the header names.
  EXPECT_EQ(FindByName(volumes, "webhook-headers")["secret"],
            json::parse(R"({"secretName":"hook-headers","defaultMode":288})"));
  EXPECT_EQ(FindByName(volumes, "kafka-properties")["secret"],
            json::parse(R"({"secretName":"herald-ops-alerts-kafka","defaultMode":288,
                            "items":[{"key":"client.properties","path":"client.properties"}]})"));
  const json& mounts = Container(d)["volumeMounts"];
  EXPECT_EQ(FindByName(mounts, "webhook-headers")["mountPath"], "/etc/herald/secrets/webhook-headers");
  EXPECT_EQ(FindByName(mounts, "kafka-properties")["mountPath"], "/etc/herald/kafka");
  for (const auto& m : mounts) EXPECT_FALSE(FindByName(volumes, m["name"]).is_null()) << m;
}

TEST(BuildDeploymentTest, SmtpSecretVolumes) {
  json j = MinimalChannelJson("email");
  j["spec"]["email"]["smtp"]["credentialsSecretRef"] = {{"name", "smtp"}};
  j["spec"]["email"]["smtp"]["caSecretRef"] = {{"name", "smtp"}, {"key", "ca.crt"}};
  const json d = BuildDeployment(MustParse(j), Settings(), "h");
  const json& volumes = d["spec"]["template"]["spec"]["volumes"];
  EXPECT_EQ(FindByName(volumes, "smtp")["secret"], json::parse(R"({"secretName":"smtp","defaultMode":288,
                            "items":[{"key":"username","path":"username"},{"key":"password","path":"password"}]})"));
  EXPECT_EQ(FindByName(volumes, "smtp-ca")["secret"],
            json::parse(R"({"secretName":"smtp","defaultMode":288,"items":[{"key":"ca.crt","path":"ca.crt"}]})"));
  const json& mounts = Container(d)["volumeMounts"];
  EXPECT_EQ(FindByName(mounts, "smtp-ca")["mountPath"], "/etc/herald/secrets/smtp-ca");
  for (const auto& m : mounts) EXPECT_FALSE(FindByName(volumes, m["name"]).is_null()) << m;
}

TEST(BuildHorizontalPodAutoscalerTest, Table) {
  const struct {
    std::string name;
    std::function<void(json&)> edit;
    bool wanted;
    json scale_down;
  } cases[] = {
      {"no autoscaling", [](json&) {}, false, nullptr},
      {"suspended",
       [](json& j) {
         j["spec"]["workers"] = {{"autoscaling", {{"maxReplicas", 4}}}};
         j["spec"]["suspend"] = true;
       },
       false, nullptr},
      {"scale-down disabled by default",
       [](json& j) {
         j["spec"]["workers"] = {{"autoscaling", {{"maxReplicas", 4}}}};
       },
       true,
       {{"selectPolicy", "Disabled"}}},
      {"scale-down enabled",
       [](json& j) {
         j["spec"]["workers"] = {{"autoscaling", {{"maxReplicas", 4}, {"scaleDown", "Enabled"}}}};
       },
       true, json::parse(R"({"stabilizationWindowSeconds":300,"selectPolicy":"Min",
                       "policies":[{"type":"Pods","value":1,"periodSeconds":120}]})")},
  };
  for (const auto& tc : cases) {
    SCOPED_TRACE(tc.name);
    json j = MinimalChannelJson();
    tc.edit(j);
    const Channel c = MustParse(j);
    EXPECT_EQ(AutoscalerManagesReplicas(c), tc.wanted);
    const auto hpa = BuildHorizontalPodAutoscaler(c);
    ASSERT_EQ(hpa.has_value(), tc.wanted);
    if (!hpa) continue;
    ExpectChildMetadata(*hpa, "autoscaling/v2", "HorizontalPodAutoscaler");
    EXPECT_EQ((*hpa)["spec"]["behavior"]["scaleDown"], tc.scale_down);
  }
}

TEST(BuildHorizontalPodAutoscalerTest, Spec) {
  const auto hpa = BuildHorizontalPodAutoscaler(MustParse(SampleChannelJson()));
  ASSERT_TRUE(hpa);
  const json& spec = (*hpa)["spec"];
  EXPECT_EQ(spec["scaleTargetRef"],
            json({{"apiVersion", "apps/v1"}, {"kind", "Deployment"}, {"name", "herald-ops-alerts"}}));
  EXPECT_EQ(spec["minReplicas"], 2);
  EXPECT_EQ(spec["maxReplicas"], 8);
  EXPECT_EQ(spec["metrics"], json::parse(R"([{"type":"Resource","resource":{"name":"cpu",
      "target":{"type":"Utilization","averageUtilization":70}}}])"));
  EXPECT_EQ(spec["behavior"]["scaleUp"]["selectPolicy"], "Max");
  EXPECT_EQ(spec["behavior"]["scaleUp"]["policies"].size(), 2u);
}

TEST(BuildPodDisruptionBudgetTest, Table) {
  const struct {
    std::string name;
    json workers;
    bool suspend;
    bool wanted;
  } cases[] = {
      {"default 2 replicas", json::object(), false, true},
      {"1 replica", {{"replicas", 1}}, false, false},
      {"suspended", json::object(), true, false},
      {"autoscaling up to 1", {{"replicas", 3}, {"autoscaling", {{"maxReplicas", 1}}}}, false, false},
      {"autoscaling up to 3", {{"replicas", 1}, {"autoscaling", {{"maxReplicas", 3}}}}, false, true},
  };
  for (const auto& tc : cases) {
    SCOPED_TRACE(tc.name);
    json j = MinimalChannelJson();
    j["spec"]["workers"] = tc.workers;
    j["spec"]["suspend"] = tc.suspend;
    const auto pdb = BuildPodDisruptionBudget(MustParse(j));
    ASSERT_EQ(pdb.has_value(), tc.wanted);
    if (!pdb) continue;
    ExpectChildMetadata(*pdb, "policy/v1", "PodDisruptionBudget");
    EXPECT_EQ((*pdb)["spec"]["maxUnavailable"], 1);
    EXPECT_EQ((*pdb)["spec"]["selector"]["matchLabels"]["herald.dev/channel"], "ops-alerts");
  }
}

TEST(BuildMetricsServiceTest, Port) {
  const json svc = BuildMetricsService(MustParse(MinimalChannelJson()));
  ExpectChildMetadata(svc, "v1", "Service");
  EXPECT_EQ(svc["spec"]["ports"],
            json::parse(R"([{"name":"metrics","port":8080,"targetPort":"metrics","protocol":"TCP"}])"));
  EXPECT_EQ(svc["spec"]["selector"]["app.kubernetes.io/name"], "herald-sidecar");
  EXPECT_EQ(svc["spec"]["clusterIP"], "None") << "headless: no service IP per channel";
}

TEST(BuildKafkaPropertiesSecretTest, Data) {
  const Channel c = MustParse(MinimalChannelJson());
  const json secret = BuildKafkaPropertiesSecret(c, "security.protocol=SSL\n");
  ExpectChildMetadata(secret, "v1", "Secret", "herald-ops-alerts-kafka");
  EXPECT_EQ(secret["type"], "Opaque");
  EXPECT_EQ(secret["data"], json({{"client.properties", "c2VjdXJpdHkucHJvdG9jb2w9U1NMCg=="}}));
  EXPECT_EQ(KafkaPropertiesSecretName(c), "herald-ops-alerts-kafka");
}

TEST(ChildrenTest, LongChannelNamesStayValid) {
  json j = MinimalChannelJson();
  j["metadata"]["name"] = std::string(100, 'x') + ".y";
  const Channel c = MustParse(j);
  for (const json& obj : {BuildConfigMap(c, ""), BuildDeployment(c, Settings(), "h"), BuildMetricsService(c),
                          *BuildPodDisruptionBudget(c), BuildKafkaPropertiesSecret(c, "")}) {
    EXPECT_LE(obj["metadata"]["name"].get<std::string>().size(), 63u) << obj["kind"];
    for (const auto& [k, v] : obj["metadata"]["labels"].items()) EXPECT_LE(v.get<std::string>().size(), 63u) << k;
  }
  EXPECT_EQ(BuildDeployment(c, Settings(), "h")["spec"]["template"]["spec"]["volumes"][0]["configMap"]["name"],
            BuildConfigMap(c, "")["metadata"]["name"]);
}

}  // namespace
}  // namespace herald::op
