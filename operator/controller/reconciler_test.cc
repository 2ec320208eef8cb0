// The reconcilers against a scripted API server (FakeClient), in-memory
// caches and FakeTopicAdmin: each test drives one Reconcile the way the
// manager does and checks what reached "Kubernetes" and "Kafka".
#include "controller/reconciler.h"

#include <gtest/gtest.h>

#include <map>
#include <mutex>
#include <set>

#include "controller/resources.h"
#include "operator/core/conditions.h"
#include "operator/core/test_fixtures.h"
#include "operator/kafka/fake_topic_admin.h"
#include "runtime/fake_client.h"

namespace herald::controller {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

constexpr const char* kChannelPath = "/apis/herald.dev/v1alpha1/namespaces/team-a/notificationchannels/";
constexpr const char* kTemplatePath = "/apis/herald.dev/v1alpha1/namespaces/team-a/templates/";
constexpr const char* kDeploymentPath = "/apis/apps/v1/namespaces/team-a/deployments/";
constexpr const char* kConfigMapPath = "/api/v1/namespaces/team-a/configmaps/";

// An informer cache without the informer.
class MapStore final : public runtime::Store {
 public:
  std::optional<json> Get(const std::string& key) const override {
    std::lock_guard lock(mu_);
    auto it = objects_.find(key);
    if (it == objects_.end()) return std::nullopt;
    return it->second;
  }
  std::vector<json> List() const override {
    std::lock_guard lock(mu_);
    std::vector<json> out;
    for (const auto& [k, v] : objects_) out.push_back(v);
    return out;
  }
  void ForEach(const std::function<void(const json&)>& visit) const override {
    std::lock_guard lock(mu_);
    for (const auto& [k, v] : objects_) visit(v);
  }
  void Put(const json& obj) {
    std::lock_guard lock(mu_);
    objects_[runtime::ObjectKey(obj)] = obj;
  }
  void Erase(const std::string& key) {
    std::lock_guard lock(mu_);
    objects_.erase(key);
  }
  // Runs `edit` on the stored object, as a watch event would replace it.
  template <typename F>
  void Edit(const std::string& key, F edit) {
    std::lock_guard lock(mu_);
    edit(objects_.at(key));
  }

 private:
  mutable std::mutex mu_;
  std::map<std::string, json> objects_;
};

std::string PathOnly(const std::string& path_and_query) { return path_and_query.substr(0, path_and_query.find('?')); }

// The API server as far as the reconcilers use it. Channel and Template
// writes (finalizers, status) land in the caches at once, as if the watch
// had delivered them; children are kept by path.
class FakeApi {
 public:
  // `deployments` and `configmaps` (may be null) mirror those children as
  // their informers would.
  FakeApi(MapStore& channels, MapStore& templates, MapStore* deployments = nullptr, MapStore* configmaps = nullptr)
      : channels_(channels), templates_(templates), deployments_(deployments), configmaps_(configmaps) {
    client.on_send = [this](const std::string& method, const std::string& path,
                            const std::string& body) -> Result<kube::Response> {
      if (on_request) on_request(method, PathOnly(path));
      std::lock_guard lock(mu_);
      return Handle(method, PathOnly(path), body.empty() ? json() : json::parse(body));
    };
  }

  // Called before each request is handled (set before the requests start).
  std::function<void(const std::string& method, const std::string& path)> on_request;

  runtime::testing::FakeClient client;

  std::optional<json> Object(const std::string& path) {
    std::lock_guard lock(mu_);
    auto it = objects_.find(path);
    if (it == objects_.end()) return std::nullopt;
    return it->second;
  }
  void SetDeploymentStatus(const std::string& name, json status) {
    std::lock_guard lock(mu_);
    json& d = objects_.at(kDeploymentPath + name);
    // The Deployment controller has seen the latest spec unless told otherwise.
    if (!status.contains("observedGeneration") || status["observedGeneration"] == 0) {
      status["observedGeneration"] = d["metadata"].value("generation", int64_t{0});
    }
    d["status"] = std::move(status);
    d["metadata"]["resourceVersion"] = std::to_string(++version_);
    Mirror(kDeploymentPath + name, d);
  }
  // Someone else deletes a child (the watch tells the cache at once).
  void DeleteBehindOurBack(const std::string& path) {
    std::lock_guard lock(mu_);
    objects_.erase(path);
    Mirror(path, std::nullopt);
  }
  // Status writes succeed but the channel cache does not show them yet (a
  // watch event still on its way).
  void HoldStatusWrites(bool hold) {
    std::lock_guard lock(mu_);
    hold_status_ = hold;
  }
  // The status the API server holds for a channel: the last one written,
  // whether or not the cache shows it.
  json ServerStatus(const std::string& name) {
    std::lock_guard lock(mu_);
    return server_status_.at("team-a/" + name);
  }
  std::vector<json> Events() {
    std::lock_guard lock(mu_);
    return events_;
  }
  // "METHOD path" of every request, query included.
  std::vector<std::string> Sent() { return client.sent(); }
  size_t Count(const std::string& method, const std::string& path_prefix) {
    size_t n = 0;
    for (const auto& s : Sent()) {
      if (s.rfind(method + " " + path_prefix, 0) == 0) ++n;
    }
    return n;
  }
  // The object is gone from the API server while the cache still has it.
  void Gone(const std::string& key) {
    std::lock_guard lock(mu_);
    gone_.insert(key);
  }
  void FailApplies(int status) {
    std::lock_guard lock(mu_);
    fail_applies_ = status;
  }

 private:
  kube::Response Handle(const std::string& method, const std::string& path, const json& body) {
    if (method == "POST" && path == "/api/v1/namespaces/team-a/events") {
      events_.push_back(body);
      return {201, body, ""};
    }
    MapStore* store = path.rfind(kChannelPath, 0) == 0    ? &channels_
                      : path.rfind(kTemplatePath, 0) == 0 ? &templates_
                                                          : nullptr;
    if (store != nullptr && method == "PATCH") {
      std::string rest = path.substr(store == &channels_ ? strlen(kChannelPath) : strlen(kTemplatePath));
      bool status = rest.size() > 7 && rest.substr(rest.size() - 7) == "/status";
      std::string key = "team-a/" + (status ? rest.substr(0, rest.size() - 7) : rest);
      if (!store->Get(key) || gone_.contains(key)) return {404, {{"message", "not found"}}, ""};
      json updated = *store->Get(key);
      if (status) {
        updated["status"] = body["status"];
        server_status_[key] = body["status"];
      } else {
        updated["metadata"]["finalizers"] = body["metadata"]["finalizers"];
      }
      updated["metadata"]["resourceVersion"] = std::to_string(++version_);
      if (!(status && hold_status_)) store->Put(updated);
      return {200, updated, ""};
    }
    if (method == "PATCH") {  // server-side apply of a child
      if (fail_applies_ != 0) return {fail_applies_, {{"message", "injected"}}, ""};
      json stored = body;
      int64_t generation = 1;
      if (auto it = objects_.find(path); it != objects_.end()) {
        if (it->second.contains("status")) stored["status"] = it->second["status"];
        generation = it->second["metadata"].value("generation", int64_t{1});
        if (it->second.value("spec", json()) != body.value("spec", json())) ++generation;
      }
      stored["metadata"]["generation"] = generation;
      stored["metadata"]["resourceVersion"] = std::to_string(++version_);
      objects_[path] = stored;
      Mirror(path, stored);
      return {200, stored, ""};
    }
    if (method == "GET") {
      auto it = objects_.find(path);
      if (it == objects_.end()) return {404, {{"message", "not found"}}, ""};
      return {200, it->second, ""};
    }
    if (method == "DELETE") {
      if (objects_.erase(path) == 0) return {404, {{"message", "not found"}}, ""};
      Mirror(path, std::nullopt);
      return {200, json::object(), ""};
    }
    return {405, nullptr, ""};
  }

  // Updates the informer cache of a watched child kind.
  void Mirror(const std::string& path, const std::optional<json>& obj) {
    MapStore* store = path.rfind(kDeploymentPath, 0) == 0  ? deployments_
                      : path.rfind(kConfigMapPath, 0) == 0 ? configmaps_
                                                           : nullptr;
    if (store == nullptr) return;
    std::string key = "team-a/" + path.substr(path.rfind('/') + 1);
    if (obj) {
      store->Put(*obj);
    } else {
      store->Erase(key);
    }
  }

  MapStore& channels_;
  MapStore& templates_;
  MapStore* deployments_;
  MapStore* configmaps_;
  int64_t version_ = 100;
  bool hold_status_ = false;
  std::map<std::string, json> server_status_;
  std::mutex mu_;
  std::map<std::string, json> objects_;
  std::vector<json> events_;
  std::set<std::string> gone_;
  int fail_applies_ = 0;
};

json TemplateJson(const std::string& name = "quota-exceeded") {
  return {{"apiVersion", "herald.dev/v1alpha1"},
          {"kind", "Template"},
          {"metadata", {{"name", name}, {"namespace", "team-a"}, {"generation", 1}, {"uid", "tmpl-uid"}}},
          {"spec",
           {{"contentVersion", 1},
            {"subject", "Quota exceeded for {{content.project}}"},
            {"text", "{{content.used}} of {{content.limit}}"},
            {"slack",
             {{"text", "Quota exceeded for {{content.project}}"},
              {"blocks", R"([{"type":"section","text":{"type":"mrkdwn","text":"*{{content.project}}*"}}])"}}},
            {"webhook", {{"body", R"({"project":"{{content.project}}"})"}}},
            {"sample",
             {{"globalId", "00000000-0000-4000-8000-000000000000"},
              {"from", "docs"},
              {"createdAt", "2026-01-01T00:00:00Z"},
              {"content", {{"version", "1.0"}, {"project", "demo"}, {"used", 11}, {"limit", 10}}}}}}}};
}

json ReadyCondition() {
  return {{"type", "Ready"},         {"status", "True"},
          {"reason", "Valid"},       {"message", "template is valid"},
          {"observedGeneration", 1}, {"lastTransitionTime", "2026-01-01T00:00:00Z"}};
}

std::string Cond(const json& obj, const std::string& type) {
  for (const auto& c : obj["status"].value("conditions", json::array())) {
    if (c.value("type", "") == type) return c.value("status", "") + "/" + c.value("reason", "");
  }
  return "absent";
}
std::string CondMessage(const json& obj, const std::string& type) {
  for (const auto& c : obj["status"].value("conditions", json::array())) {
    if (c.value("type", "") == type) return c.value("message", "");
  }
  return "";
}

class ChannelReconcilerTest : public ::testing::Test {
 protected:
  ChannelReconcilerTest() {
    settings_.bootstrap_servers = "kafka:9092";
    settings_.sidecar_image = "herald-sidecar:test";
    json t = TemplateJson();
    t["status"]["conditions"] = json::array({ReadyCondition()});
    templates_.Put(t);
  }

  // One reconciler for the whole test, as in the manager: it remembers what
  // it applied.
  ChannelReconciler& Rec() {
    if (!rec_) {
      rec_ = std::make_unique<ChannelReconciler>(api_.client, kafka_, channels_, templates_, settings_,
                                                 ChildCaches{&deployments_, &configmaps_});
    }
    return *rec_;
  }
  ReconcileResult Reconcile(const std::string& key = "team-a/ops-alerts") { return Rec().Reconcile(key); }
  // Child applies (server-side apply PATCHes outside the channel's own path).
  size_t ChildApplies() {
    size_t n = 0;
    for (const auto& s : api_.Sent()) {
      if (s.rfind("PATCH ", 0) == 0 && s.find("/notificationchannels/") == std::string::npos) ++n;
    }
    return n;
  }
  json Channel(const std::string& key = "team-a/ops-alerts") { return *channels_.Get(key); }
  // Reconciles once, then reports the Deployment as rolled out (what
  // kube-controller-manager and the kubelet would do) and reconciles again.
  void ReconcileToReady(const std::string& name = "ops-alerts", const std::string& want = "True/Ready") {
    ASSERT_TRUE(Reconcile("team-a/" + name).ok);
    auto dep = api_.Object(kDeploymentPath + ("herald-" + name));
    ASSERT_TRUE(dep) << "no Deployment herald-" << name;
    // Without spec.replicas the HPA decides: it starts at minReplicas.
    auto hpa = api_.Object("/apis/autoscaling/v2/namespaces/team-a/horizontalpodautoscalers/herald-" + name);
    int replicas = dep->at("spec").value("replicas", hpa ? hpa->at("spec").value("minReplicas", 1) : 1);
    api_.SetDeploymentStatus("herald-" + name, {{"observedGeneration", 0},
                                                {"replicas", replicas},
                                                {"updatedReplicas", replicas},
                                                {"readyReplicas", replicas},
                                                {"availableReplicas", replicas}});
    auto r = Reconcile("team-a/" + name);
    ASSERT_TRUE(r.ok) << r.error;
    ASSERT_EQ(Cond(Channel("team-a/" + name), "Ready"), want) << Channel("team-a/" + name)["status"].dump();
  }

  op::OperatorSettings settings_;
  MapStore channels_, templates_, deployments_, configmaps_;
  FakeApi api_{channels_, templates_, &deployments_, &configmaps_};
  kafka::FakeTopicAdmin kafka_;
  std::unique_ptr<ChannelReconciler> rec_;
};

TEST_F(ChannelReconcilerTest, NewChannelGetsFinalizerTopicsChildrenAndObservedStatus) {
  channels_.Put(op::fixtures::SampleChannelJson());
  auto r = Reconcile();
  ASSERT_TRUE(r.ok) << r.error;

  json ch = Channel();
  EXPECT_EQ(ch["metadata"]["finalizers"], json::array({"herald.dev/finalizer"}));

  // Topics of a channel never reported on: created straight away, in one
  // request, and not described again (the broker's answer is trusted).
  auto topic = kafka_.Get("herald.team-a.ops-alerts");
  auto dlq = kafka_.Get("herald.team-a.ops-alerts.dlq");
  ASSERT_TRUE(topic && dlq);
  EXPECT_EQ(topic->partitions, 6);
  EXPECT_EQ(topic->replication_factor, 1);
  EXPECT_EQ(topic->configs.at("retention.ms"), "604800000");
  EXPECT_EQ(dlq->partitions, 6);
  EXPECT_EQ(dlq->configs.at("retention.ms"), "1209600000") << "dead letters are kept at least 14 days";
  std::vector<std::string> calls;
  for (const auto& req : kafka_.Requests()) calls.push_back(req.call + ":" + std::to_string(req.topics.size()));
  EXPECT_EQ(calls, (std::vector<std::string>{"CreateTopics:2"}));

  // Children, with the fields that matter.
  auto dep = api_.Object(std::string(kDeploymentPath) + "herald-ops-alerts");
  ASSERT_TRUE(dep);
  const json& pod = (*dep)["spec"]["template"];
  EXPECT_EQ(pod["spec"]["containers"][0]["image"], "herald-sidecar:test");
  EXPECT_FALSE((*dep)["spec"].contains("replicas")) << "the HPA owns the replica count";
  EXPECT_EQ((*dep)["metadata"]["ownerReferences"][0]["kind"], "NotificationChannel");
  EXPECT_EQ((*dep)["metadata"]["ownerReferences"][0]["uid"], ch["metadata"]["uid"]);
  EXPECT_EQ((*dep)["metadata"]["labels"]["herald.dev/channel"], "ops-alerts");
  auto cm = api_.Object("/api/v1/namespaces/team-a/configmaps/herald-ops-alerts");
  ASSERT_TRUE(cm);
  std::string yaml = (*cm)["data"]["sidecar.yaml"];
  EXPECT_NE(yaml.find("herald.team-a.ops-alerts"), std::string::npos) << yaml;
  EXPECT_NE(yaml.find("kafka:9092"), std::string::npos) << yaml;
  EXPECT_TRUE(pod["metadata"]["annotations"].contains("herald.dev/config-hash"));
  auto hpa = api_.Object("/apis/autoscaling/v2/namespaces/team-a/horizontalpodautoscalers/herald-ops-alerts");
  ASSERT_TRUE(hpa);
  EXPECT_EQ((*hpa)["spec"]["minReplicas"], 2);
  EXPECT_EQ((*hpa)["spec"]["maxReplicas"], 8);
  EXPECT_TRUE(api_.Object("/apis/policy/v1/namespaces/team-a/poddisruptionbudgets/herald-ops-alerts"));
  EXPECT_TRUE(api_.Object("/api/v1/namespaces/team-a/services/herald-ops-alerts"));
  for (const auto& s : api_.Sent()) {
    if (s.rfind("PATCH /apis/apps", 0) == 0) {
      EXPECT_NE(s.find("fieldManager=herald-operator"), std::string::npos) << s;
    }
  }

  // Status from what is observed: the new Deployment has no available pods.
  EXPECT_EQ(Cond(ch, "TopicReady"), "True/TopicsReady");
  EXPECT_EQ(Cond(ch, "TemplateReady"), "True/TemplateReady");
  EXPECT_EQ(Cond(ch, "WorkersReady").substr(0, 6), "False/");
  EXPECT_EQ(Cond(ch, "Ready").substr(0, 6), "False/");
  EXPECT_EQ(ch["status"]["observedGeneration"], 3);
  EXPECT_EQ(ch["status"]["topic"], "herald.team-a.ops-alerts");
  EXPECT_EQ(ch["status"]["deadLetterTopic"], "herald.team-a.ops-alerts.dlq");
  EXPECT_EQ(r.requeue_after, 0ms) << "rolling out: the Deployment's watch tells when to look again";
  // A channel on its way up (Progressing) is not news; the sample's
  // maxReplicas above its partitions is.
  ASSERT_EQ(api_.Events().size(), 1u) << api_.Events().back().dump();
  EXPECT_EQ(api_.Events()[0]["reason"], "ReplicasExceedPartitions");
}

TEST_F(ChannelReconcilerTest, ReadyOnlyOnceTheDeploymentIsAvailableThenIdempotent) {
  channels_.Put(op::fixtures::SampleChannelJson());
  ReconcileToReady();
  json ch = Channel();
  EXPECT_EQ(Cond(ch, "WorkersReady"), "True/WorkersAvailable");
  EXPECT_EQ(ch["status"]["readyReplicas"], 2);

  // A third pass changes nothing: no writes, no Kafka calls, no Events.
  kafka_.ClearRequests();
  size_t events = api_.Events().size();
  size_t sent = api_.Sent().size();
  auto r = Reconcile();
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.requeue_after, 0ms);
  EXPECT_EQ(api_.Sent().size(), sent) << "nothing to apply, status unchanged: no request at all";
  EXPECT_EQ(api_.Events().size(), events);
  EXPECT_TRUE(kafka_.Requests().empty());
}

// The passes a Deployment's rollout triggers (status changes) only observe:
// no child applies, no GET, no Kafka call; the status write when it changes.
TEST_F(ChannelReconcilerTest, PassesDuringARolloutAreObserveOnly) {
  channels_.Put(op::fixtures::SampleChannelJson());
  ASSERT_TRUE(Reconcile().ok);
  ASSERT_TRUE(Reconcile().ok);  // e.g. for its own finalizer
  kafka_.ClearRequests();
  size_t sent = api_.Sent().size();
  api_.SetDeploymentStatus("herald-ops-alerts",
                           {{"replicas", 2}, {"updatedReplicas", 2}, {"readyReplicas", 1}, {"availableReplicas", 1}});
  ASSERT_TRUE(Reconcile().ok);
  api_.SetDeploymentStatus("herald-ops-alerts",
                           {{"replicas", 2}, {"updatedReplicas", 2}, {"readyReplicas", 2}, {"availableReplicas", 2}});
  ASSERT_TRUE(Reconcile().ok);
  const std::vector<std::string> all = api_.Sent();
  std::vector<std::string> requests(all.begin() + static_cast<long>(sent), all.end());
  std::vector<std::string> writes;
  for (const auto& q : requests) {
    if (q.rfind("POST ", 0) != 0) writes.push_back(q.substr(0, q.find('?')));
  }
  EXPECT_EQ(writes, (std::vector<std::string>{"PATCH " + std::string(kChannelPath) + "ops-alerts/status",
                                              "PATCH " + std::string(kChannelPath) + "ops-alerts/status"}))
      << "only the status, once per change";
  EXPECT_TRUE(kafka_.Requests().empty());
  EXPECT_EQ(Cond(Channel(), "Ready"), "True/Ready");
  EXPECT_EQ(Channel()["status"]["readyReplicas"], 2) << "read from the Deployment cache";
}

// What the observe-only pass relies on is checked: a child deleted or
// edited by someone else, a new Template or channel spec, or a resync
// (ForgetAll) makes the next pass apply again.
TEST_F(ChannelReconcilerTest, ChangesBehindTheMemoryMakeTheNextPassFull) {
  channels_.Put(op::fixtures::SampleChannelJson());
  ReconcileToReady();
  const std::string dep = std::string(kDeploymentPath) + "herald-ops-alerts";

  size_t applies = ChildApplies();
  api_.DeleteBehindOurBack(dep);
  ASSERT_TRUE(Reconcile().ok);
  EXPECT_GT(ChildApplies(), applies) << "deleted Deployment applied again";
  EXPECT_TRUE(api_.Object(dep));

  applies = ChildApplies();
  deployments_.Edit("team-a/herald-ops-alerts", [](json& d) { d["metadata"]["generation"] = 42; });
  ASSERT_TRUE(Reconcile().ok);
  EXPECT_GT(ChildApplies(), applies) << "Deployment edited by hand (new generation): applied again";

  applies = ChildApplies();
  configmaps_.Edit("team-a/herald-ops-alerts", [](json& c) { c["metadata"]["resourceVersion"] = "edited"; });
  ASSERT_TRUE(Reconcile().ok);
  EXPECT_GT(ChildApplies(), applies) << "ConfigMap edited by hand: applied again";

  applies = ChildApplies();
  kafka_.ClearRequests();
  templates_.Edit("team-a/quota-exceeded", [](json& t) { t["spec"]["text"] = "changed {{content.used}}"; });
  ASSERT_TRUE(Reconcile().ok);
  EXPECT_GT(ChildApplies(), applies) << "new Template text: new sidecar config applied";
  auto cm = api_.Object(std::string(kConfigMapPath) + "herald-ops-alerts");
  EXPECT_NE((*cm)["data"]["sidecar.yaml"].get<std::string>().find("changed"), std::string::npos);
  EXPECT_TRUE(kafka_.Requests().empty()) << "same topic specs: Kafka not asked";

  applies = ChildApplies();
  Rec().ForgetAll();
  ASSERT_TRUE(Reconcile().ok);
  EXPECT_GT(ChildApplies(), applies) << "resync: children applied";
  ASSERT_EQ(kafka_.Requests().size(), 1u) << "resync: topics described (Kafka is not watched)";
  EXPECT_EQ(kafka_.Requests()[0].call, "DescribeTopics");

  channels_.Edit("team-a/ops-alerts", [](json& o) { o["metadata"]["deletionTimestamp"] = "2026-03-01T00:00:00Z"; });
  ASSERT_TRUE(Reconcile().ok);
  EXPECT_EQ(Rec().Remembered(), 0u) << "a deleted channel's memory goes with it";
}

// A resync (ForgetAll) while a pass is running: that pass must not write
// back what it remembered, or its channel would skip the resync's full pass.
TEST_F(ChannelReconcilerTest, ForgetAllDuringAPassWins) {
  channels_.Put(op::fixtures::SampleChannelJson());
  ASSERT_TRUE(Reconcile().ok);
  ASSERT_EQ(Rec().Remembered(), 1u);
  Rec().ForgetAll();
  api_.on_request = [this](const std::string& method, const std::string& path) {
    if (method == "PATCH" && path.find("/deployments/") != std::string::npos) Rec().ForgetAll();
  };
  ASSERT_TRUE(Reconcile().ok);  // full (forgotten), and forgotten again halfway
  api_.on_request = nullptr;
  EXPECT_EQ(Rec().Remembered(), 0u);
}

// Every pass reads the channel from the informer cache, which may not show
// the status the previous pass wrote yet. That must not write the same
// status again nor repeat its Events: one Event per transition.
TEST_F(ChannelReconcilerTest, OneEventPerTransitionWhileTheCacheLags) {
  channels_.Put(op::fixtures::SampleChannelJson());
  api_.HoldStatusWrites(true);
  ASSERT_TRUE(Reconcile().ok);
  size_t status_writes = api_.Count("PATCH", std::string(kChannelPath) + "ops-alerts/status");
  ASSERT_TRUE(Reconcile().ok);
  ASSERT_TRUE(Reconcile().ok);
  EXPECT_EQ(api_.Count("PATCH", std::string(kChannelPath) + "ops-alerts/status"), status_writes)
      << "the status the cache does not show yet is not written again";
  api_.SetDeploymentStatus("herald-ops-alerts",
                           {{"replicas", 2}, {"updatedReplicas", 2}, {"readyReplicas", 2}, {"availableReplicas", 2}});
  ASSERT_TRUE(Reconcile().ok);
  ASSERT_TRUE(Reconcile().ok);
  std::vector<std::string> messages;
  for (const auto& e : api_.Events()) {
    std::string m = e.value("message", "");
    messages.push_back(m.substr(0, m.find(':')));
  }
  // The way up (TopicPending, Progressing, ...) is not news; Ready is, once.
  EXPECT_EQ(messages, (std::vector<std::string>{"ScalingLimited=True", "Ready=True"}));
}

// A cache that lags behind this process's last status write (a watch
// still reconnecting after the API server restarted) shows an older status.
// When the next pass wants that older status back, it must still write it:
// the API server holds the newer one. Seen live: a channel's Deployment
// deleted and re-created right after a restart; the channel stayed
// Ready=False ("0 of 1 worker available") with its Deployment available,
// because the pass that saw it available compared with the stale Ready=True.
TEST_F(ChannelReconcilerTest, AStatusTheLaggingCacheStillShowsIsWrittenAgainWhenWantedBack) {
  channels_.Put(op::fixtures::SampleChannelJson());
  ReconcileToReady();
  const std::string long_ago = "2026-01-01T00:00:00Z";
  channels_.Edit("team-a/ops-alerts", [&](json& o) {
    for (auto& c : o["status"]["conditions"]) c["lastTransitionTime"] = long_ago;
  });
  api_.HoldStatusWrites(true);
  api_.DeleteBehindOurBack(std::string(kDeploymentPath) + "herald-ops-alerts");
  ASSERT_TRUE(Reconcile().ok);
  ASSERT_EQ(Cond(json{{"status", api_.ServerStatus("ops-alerts")}}, "Ready"), "False/Progressing")
      << api_.ServerStatus("ops-alerts").dump();
  ASSERT_EQ(Cond(Channel(), "Ready"), "True/Ready") << "the cache does not show that write";

  api_.SetDeploymentStatus("herald-ops-alerts",
                           {{"replicas", 2}, {"updatedReplicas", 2}, {"readyReplicas", 2}, {"availableReplicas", 2}});
  ASSERT_TRUE(Reconcile().ok);
  json server{{"status", api_.ServerStatus("ops-alerts")}};
  EXPECT_EQ(Cond(server, "Ready"), "True/Ready") << server.dump();
  EXPECT_EQ(Cond(server, "WorkersReady"), "True/WorkersAvailable");
  for (const auto& c : server["status"]["conditions"]) {
    if (c["type"] == "Ready") {
      EXPECT_NE(c.value("lastTransitionTime", ""), long_ago)
          << "Ready was False in between: it transitioned now, not when the stale copy says";
    }
  }
}

// A channel without autoscaling and with one worker has no HPA and no PDB:
// the first pass makes sure (DELETE, 404 is fine), later passes do not ask
// again, until the channel wants one and then stops wanting it.
TEST_F(ChannelReconcilerTest, AbsentOptionalChildrenAreNotDeletedOnEveryPass) {
  json ch = op::fixtures::SampleChannelJson();
  ch["spec"]["workers"].erase("autoscaling");
  ch["spec"]["workers"]["replicas"] = 1;
  channels_.Put(ch);
  ChannelReconciler rec(api_.client, kafka_, channels_, templates_, settings_);
  ASSERT_TRUE(rec.Reconcile("team-a/ops-alerts").ok);
  EXPECT_EQ(api_.Count("DELETE", ""), 0u) << "a channel never reported on has no HPA or PDB to remove";
  ASSERT_TRUE(rec.Reconcile("team-a/ops-alerts").ok);
  EXPECT_EQ(api_.Count("DELETE", ""), 2u) << "HPA and PDB checked once";
  ASSERT_TRUE(rec.Reconcile("team-a/ops-alerts").ok);
  ASSERT_TRUE(rec.Reconcile("team-a/ops-alerts").ok);
  EXPECT_EQ(api_.Count("DELETE", ""), 2u) << "not asked again";

  channels_.Edit("team-a/ops-alerts", [](json& o) {
    o["spec"]["workers"]["replicas"] = 3;
    o["metadata"]["generation"] = 2;
  });
  ASSERT_TRUE(rec.Reconcile("team-a/ops-alerts").ok);
  EXPECT_EQ(api_.Count("PATCH", "/apis/policy/v1/namespaces/team-a/poddisruptionbudgets/"), 1u);
  channels_.Edit("team-a/ops-alerts", [](json& o) {
    o["spec"]["workers"]["replicas"] = 1;
    o["metadata"]["generation"] = 3;
  });
  ASSERT_TRUE(rec.Reconcile("team-a/ops-alerts").ok);
  EXPECT_EQ(api_.Count("DELETE", "/apis/policy/v1/namespaces/team-a/poddisruptionbudgets/"), 2u)
      << "the PDB it applied is deleted again";
}

TEST_F(ChannelReconcilerTest, PartitionIncreaseAndRetentionChangeReachTheBroker) {
  channels_.Put(op::fixtures::SampleChannelJson());
  ReconcileToReady();
  channels_.Edit("team-a/ops-alerts", [](json& o) {
    o["spec"]["kafka"]["partitions"] = 9;
    o["spec"]["kafka"]["retention"] = "72h";
    o["metadata"]["generation"] = 4;
  });
  kafka_.ClearRequests();
  ASSERT_TRUE(Reconcile().ok);
  EXPECT_EQ(kafka_.Get("herald.team-a.ops-alerts")->partitions, 9);
  EXPECT_EQ(kafka_.Get("herald.team-a.ops-alerts.dlq")->partitions, 9);
  EXPECT_EQ(kafka_.Get("herald.team-a.ops-alerts")->configs.at("retention.ms"), "259200000");
  EXPECT_EQ(kafka_.Get("herald.team-a.ops-alerts.dlq")->configs.at("retention.ms"), "1209600000");
  std::vector<std::string> calls;
  for (const auto& req : kafka_.Requests()) calls.push_back(req.call + ":" + std::to_string(req.topics.size()));
  EXPECT_EQ(calls, (std::vector<std::string>{"DescribeTopics:2", "CreatePartitions:2", "AlterConfigs:1"}))
      << "a successful change is trusted, not described again";
  EXPECT_EQ(Cond(Channel(), "TopicReady"), "True/TopicsReady");
}

TEST_F(ChannelReconcilerTest, PartitionDecreaseIsNotSupported) {
  channels_.Put(op::fixtures::SampleChannelJson());
  kafka_.Seed("herald.team-a.ops-alerts", {12, 1, {{"retention.ms", "604800000"}, {"cleanup.policy", "delete"}}});
  auto r = Reconcile();
  ASSERT_TRUE(r.ok) << r.error;
  json ch = Channel();
  EXPECT_EQ(Cond(ch, "TopicReady"), "False/NotSupported");
  EXPECT_EQ(Cond(ch, "Ready"), "False/NotSupported");
  EXPECT_NE(CondMessage(ch, "TopicReady").find("12"), std::string::npos) << CondMessage(ch, "TopicReady");
  EXPECT_EQ(kafka_.Get("herald.team-a.ops-alerts")->partitions, 12) << "never shrunk, never recreated";
  EXPECT_GT(r.requeue_after, 0ms);
}

TEST_F(ChannelReconcilerTest, TopicOwnedByAnOlderChannelIsAResourceConflict) {
  channels_.Put(op::fixtures::SampleChannelJson());
  ReconcileToReady();
  json squatter = op::fixtures::SampleChannelJson();
  squatter["metadata"]["name"] = "squatter";
  squatter["metadata"]["uid"] = "6f1b2c3d-0000-4000-8000-000000000002";
  squatter["metadata"]["creationTimestamp"] = "2026-02-01T00:00:00Z";
  squatter["spec"]["kafka"]["topic"] = "herald.team-a.ops-alerts";
  channels_.Put(squatter);
  kafka_.ClearRequests();

  auto r = Reconcile("team-a/squatter");
  ASSERT_TRUE(r.ok) << r.error;
  json ch = Channel("team-a/squatter");
  EXPECT_EQ(Cond(ch, "TopicReady"), "False/ResourceConflict");
  EXPECT_NE(CondMessage(ch, "TopicReady").find("team-a/ops-alerts"), std::string::npos)
      << CondMessage(ch, "TopicReady");
  EXPECT_TRUE(kafka_.Requests().empty()) << "the owner's topic is not touched";
  EXPECT_FALSE(api_.Object(std::string(kDeploymentPath) + "herald-squatter"))
      << "no workers: they would read the owner's messages";

  // Deleting it under policy Delete keeps the owner's topics.
  channels_.Edit("team-a/squatter", [](json& o) {
    o["spec"]["deletionPolicy"] = "Delete";
    o["metadata"]["deletionTimestamp"] = "2026-03-01T00:00:00Z";
  });
  ASSERT_TRUE(Reconcile("team-a/squatter").ok);
  EXPECT_TRUE(kafka_.Requests().empty());
  EXPECT_TRUE(kafka_.Get("herald.team-a.ops-alerts"));
  EXPECT_EQ(Channel("team-a/squatter")["metadata"]["finalizers"], json::array());
}

// The dead-letter topics count too, both ways: a newer channel may not take
// an older one's dead-letter topic as its topic, nor have its own
// dead-letter topic land on an older channel's topic.
TEST_F(ChannelReconcilerTest, DeadLetterTopicsClashBothWays) {
  channels_.Put(op::fixtures::SampleChannelJson());  // herald.team-a.ops-alerts (+ .dlq)
  ReconcileToReady();
  auto newer = [&](const std::string& name, const std::string& topic, const std::string& uid_suffix) {
    json c = op::fixtures::SampleChannelJson();
    c["metadata"]["name"] = name;
    c["metadata"]["uid"] = "6f1b2c3d-0000-4000-8000-00000000000" + uid_suffix;
    c["metadata"]["creationTimestamp"] = "2026-02-0" + uid_suffix + "T00:00:00Z";
    c["spec"]["kafka"]["topic"] = topic;
    channels_.Put(c);
    return "team-a/" + name;
  };
  const std::string takes_dlq = newer("takes-dlq", "herald.team-a.ops-alerts.dlq", "2");
  ASSERT_TRUE(Reconcile(takes_dlq).ok);
  EXPECT_EQ(Cond(Channel(takes_dlq), "TopicReady"), "False/ResourceConflict");

  // "orders" is older than "orders-feeder", whose dead-letter topic would be
  // orders' topic.
  const std::string orders = newer("orders", "shop.orders.dlq", "3");
  ASSERT_TRUE(Reconcile(orders).ok);
  EXPECT_EQ(Cond(Channel(orders), "TopicReady"), "True/TopicsReady");
  const std::string feeder = newer("orders-feeder", "shop.orders", "4");
  ASSERT_TRUE(Reconcile(feeder).ok);
  EXPECT_EQ(Cond(Channel(feeder), "TopicReady"), "False/ResourceConflict");
  EXPECT_NE(CondMessage(Channel(feeder), "TopicReady").find("team-a/orders"), std::string::npos);
}

TEST_F(ChannelReconcilerTest, ExistingTopicsAreAdoptedNotRecreated) {
  channels_.Put(op::fixtures::SampleChannelJson());
  // Left by an earlier channel of the same name (policy Retain): fewer
  // partitions, no overrides.
  kafka_.Seed("herald.team-a.ops-alerts", {3, 1, {}});
  kafka_.Seed("herald.team-a.ops-alerts.dlq", {6, 1, {{"retention.ms", "1209600000"}, {"cleanup.policy", "delete"}}});
  auto r = Reconcile();
  ASSERT_TRUE(r.ok) << r.error;
  std::vector<std::string> calls;
  for (const auto& req : kafka_.Requests()) calls.push_back(req.call + ":" + std::to_string(req.topics.size()));
  // A new channel creates first; "already exists" is adoption: described,
  // then grown and configured, never recreated.
  EXPECT_EQ(calls,
            (std::vector<std::string>{"CreateTopics:2", "DescribeTopics:2", "CreatePartitions:1", "AlterConfigs:1"}));
  EXPECT_EQ(kafka_.Get("herald.team-a.ops-alerts")->partitions, 6);
  EXPECT_EQ(kafka_.Get("herald.team-a.ops-alerts")->configs.at("retention.ms"), "604800000");
  EXPECT_EQ(Cond(Channel(), "TopicReady"), "True/TopicsReady");
}

TEST_F(ChannelReconcilerTest, KafkaFailureIsReportedAndRetriedLater) {
  channels_.Put(op::fixtures::SampleChannelJson());
  kafka_.SetUnreachable(true);
  auto r = Reconcile();
  ASSERT_TRUE(r.ok) << "reported in status, not a reconcile error: " << r.error;
  EXPECT_EQ(Cond(Channel(), "TopicReady"), "False/KafkaError");
  EXPECT_GT(r.requeue_after, 0ms);
  auto messages = [&] {
    std::vector<std::string> out;
    for (const auto& e : api_.Events()) {
      std::string m = e.value("message", "");
      out.push_back(e.value("type", "") + " " + m.substr(0, m.find(':')));
    }
    return out;
  };
  EXPECT_EQ(messages(),
            (std::vector<std::string>{"Warning Ready=False", "Warning TopicReady=False", "Normal ScalingLimited=True"}))
      << "a reason that needs a person is an Event at once";
  kafka_.SetUnreachable(false);
  ReconcileToReady();
  EXPECT_EQ(messages(),
            (std::vector<std::string>{"Warning Ready=False", "Warning TopicReady=False", "Normal ScalingLimited=True",
                                      "Normal TopicReady=True", "Normal Ready=True"}));
}

TEST_F(ChannelReconcilerTest, MissingOrBrokenTemplateRunsNoWorkers) {
  json c = op::fixtures::SampleChannelJson();
  c["spec"]["templateRef"]["name"] = "nope";
  channels_.Put(c);
  ASSERT_TRUE(Reconcile().ok);
  EXPECT_EQ(Cond(Channel(), "TemplateReady"), "False/TemplateNotFound");
  EXPECT_FALSE(api_.Object(std::string(kDeploymentPath) + "herald-ops-alerts"));
  EXPECT_TRUE(kafka_.Get("herald.team-a.ops-alerts")) << "topics do not wait for the template";

  json t = TemplateJson("nope");
  t["status"]["conditions"] =
      json::array({{{"type", "Ready"}, {"status", "False"}, {"reason", "Invalid"}, {"message", "spec.subject: bad"}}});
  templates_.Put(t);
  ASSERT_TRUE(Reconcile().ok);
  EXPECT_EQ(Cond(Channel(), "TemplateReady"), "False/TemplateNotReady");
  EXPECT_NE(CondMessage(Channel(), "TemplateReady").find("spec.subject: bad"), std::string::npos);
}

TEST_F(ChannelReconcilerTest, InvalidSpecIsReportedNotRetried) {
  json c = op::fixtures::SampleChannelJson();
  c["spec"]["kafka"]["retention"] = "forever";
  channels_.Put(c);
  auto r = Reconcile();
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(Cond(Channel(), "Ready"), "False/InvalidSpec");
  EXPECT_NE(CondMessage(Channel(), "Ready").find("spec.kafka.retention"), std::string::npos)
      << CondMessage(Channel(), "Ready");
  EXPECT_TRUE(kafka_.Requests().empty());
}

TEST_F(ChannelReconcilerTest, SuspendScalesToZeroAndKeepsTopics) {
  channels_.Put(op::fixtures::SampleChannelJson());
  ReconcileToReady();
  channels_.Edit("team-a/ops-alerts", [](json& o) {
    o["spec"]["suspend"] = true;
    o["metadata"]["generation"] = 4;
  });
  ReconcileToReady("ops-alerts", "True/Suspended");  // the Deployment reports 0 of 0
  auto dep = api_.Object(std::string(kDeploymentPath) + "herald-ops-alerts");
  EXPECT_EQ((*dep)["spec"]["replicas"], 0);
  EXPECT_FALSE(api_.Object("/apis/autoscaling/v2/namespaces/team-a/horizontalpodautoscalers/herald-ops-alerts"));
  EXPECT_FALSE(api_.Object("/apis/policy/v1/namespaces/team-a/poddisruptionbudgets/herald-ops-alerts"));
  EXPECT_TRUE(kafka_.Get("herald.team-a.ops-alerts"));
  EXPECT_TRUE(kafka_.Get("herald.team-a.ops-alerts.dlq"));
  for (const auto& req : kafka_.Requests()) EXPECT_NE(req.call, "DeleteTopics");
}

void MarkDeleted(MapStore& channels, const std::string& policy) {
  channels.Edit("team-a/ops-alerts", [&](json& o) {
    o["spec"]["deletionPolicy"] = policy;
    o["metadata"]["deletionTimestamp"] = "2026-03-01T00:00:00Z";
  });
}

TEST_F(ChannelReconcilerTest, DeletionUnderRetainKeepsTopicsAndRemovesTheFinalizer) {
  channels_.Put(op::fixtures::SampleChannelJson());
  ReconcileToReady();
  MarkDeleted(channels_, "Retain");
  kafka_.ClearRequests();
  auto r = Reconcile();
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_TRUE(kafka_.Requests().empty());
  EXPECT_TRUE(kafka_.Get("herald.team-a.ops-alerts"));
  EXPECT_TRUE(kafka_.Get("herald.team-a.ops-alerts.dlq"));
  EXPECT_EQ(Channel()["metadata"]["finalizers"], json::array());
}

TEST_F(ChannelReconcilerTest, DeletionUnderDeleteRemovesBothTopicsThenTheFinalizer) {
  channels_.Put(op::fixtures::SampleChannelJson());
  ReconcileToReady();
  channels_.Edit("team-a/ops-alerts", [](json& o) {
    o["metadata"]["finalizers"] = json::array({"example.com/other", "herald.dev/finalizer"});
  });
  MarkDeleted(channels_, "Delete");
  kafka_.ClearRequests();

  // Kafka down: the finalizer stays, so the topics are not forgotten.
  kafka_.SetUnreachable(true);
  auto r = Reconcile();
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.error.find("deleting topic"), std::string::npos) << r.error;
  EXPECT_EQ(Channel()["metadata"]["finalizers"].size(), 2u);

  kafka_.SetUnreachable(false);
  r = Reconcile();
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_FALSE(kafka_.Get("herald.team-a.ops-alerts"));
  EXPECT_FALSE(kafka_.Get("herald.team-a.ops-alerts.dlq"));
  EXPECT_EQ(Channel()["metadata"]["finalizers"], json::array({"example.com/other"})) << "only ours is removed";
}

TEST_F(ChannelReconcilerTest, DeletionUnderDeleteTreatsMissingTopicsAsDeleted) {
  channels_.Put(op::fixtures::SampleChannelJson());
  channels_.Edit("team-a/ops-alerts",
                 [](json& o) { o["metadata"]["finalizers"] = json::array({"herald.dev/finalizer"}); });
  MarkDeleted(channels_, "Delete");  // the topics were never created
  auto r = Reconcile();
  ASSERT_TRUE(r.ok) << r.error;
  ASSERT_EQ(kafka_.Requests().size(), 1u);
  EXPECT_EQ(kafka_.Requests()[0].call, "DeleteTopics");
  EXPECT_EQ(kafka_.Requests()[0].topics,
            (std::vector<std::string>{"herald.team-a.ops-alerts", "herald.team-a.ops-alerts.dlq"}));
  EXPECT_EQ(Channel()["metadata"]["finalizers"], json::array());
}

TEST_F(ChannelReconcilerTest, StaleCopyOfAChannelAlreadyGoneIsDone) {
  channels_.Put(op::fixtures::SampleChannelJson());
  channels_.Edit("team-a/ops-alerts",
                 [](json& o) { o["metadata"]["finalizers"] = json::array({"herald.dev/finalizer"}); });
  MarkDeleted(channels_, "Retain");
  api_.Gone("team-a/ops-alerts");  // our finalizer removal already let it go; the watch has not said so yet
  auto r = Reconcile();
  EXPECT_TRUE(r.ok) << "a 404 on the finalizer patch is not an error: " << r.error;

  channels_.Put(op::fixtures::SampleChannelJson());  // a new channel, deleted before its first reconcile
  r = Reconcile();
  EXPECT_TRUE(r.ok) << r.error;
  EXPECT_FALSE(api_.Object(std::string(kDeploymentPath) + "herald-ops-alerts")) << "no children for a gone channel";
  EXPECT_TRUE(kafka_.Requests().empty());
}

TEST_F(ChannelReconcilerTest, FailedChildApplyIsAReconcileError) {
  channels_.Put(op::fixtures::SampleChannelJson());
  api_.FailApplies(500);
  auto r = Reconcile();
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.error.find("HTTP 500"), std::string::npos) << r.error;
}

TEST_F(ChannelReconcilerTest, GoneChannelIsDone) {
  auto r = Reconcile("team-a/gone");
  EXPECT_TRUE(r.ok);
  EXPECT_TRUE(api_.Sent().empty());
  EXPECT_TRUE(kafka_.Requests().empty());
}

// --- Templates

class TemplateReconcilerTest : public ::testing::Test {
 protected:
  ReconcileResult Reconcile(const std::string& key = "team-a/quota-exceeded") {
    TemplateReconciler r(api_.client, templates_, channels_, [this](const std::string& k) { requeued_.push_back(k); });
    return r.Reconcile(key);
  }
  json Template(const std::string& key = "team-a/quota-exceeded") { return *templates_.Get(key); }

  MapStore channels_, templates_;
  FakeApi api_{channels_, templates_};
  std::vector<std::string> requeued_;
};

TEST_F(TemplateReconcilerTest, ValidTemplateIsReadyAndItsChannelsLookAgain) {
  templates_.Put(TemplateJson());
  channels_.Put(op::fixtures::SampleChannelJson());  // team-a/ops-alerts uses quota-exceeded
  json other = op::fixtures::SampleChannelJson();
  other["metadata"]["name"] = "other";
  other["spec"]["templateRef"]["name"] = "another";
  channels_.Put(other);
  json elsewhere = op::fixtures::SampleChannelJson();
  elsewhere["metadata"]["namespace"] = "team-b";
  channels_.Put(elsewhere);

  ASSERT_TRUE(Reconcile().ok);
  EXPECT_EQ(Cond(Template(), "Ready"), "True/Valid");
  EXPECT_TRUE(api_.Events().empty()) << "a Template valid from the start is not news";
  EXPECT_EQ(Template()["status"]["observedGeneration"], 1);
  // The manager's cache would still hold the old status here: a channel
  // requeued now could read "not checked yet" and stay so.
  EXPECT_TRUE(requeued_.empty()) << "channels requeued before the cache holds the status";

  // The status's watch event brings the next pass: the status is unchanged,
  // not written again, and the users (only they) look again.
  size_t patches = api_.Count("PATCH", kTemplatePath);
  ASSERT_TRUE(Reconcile().ok);
  EXPECT_EQ(api_.Count("PATCH", kTemplatePath), patches) << "unchanged status is not written again";
  EXPECT_EQ(requeued_, (std::vector<std::string>{"team-a/ops-alerts"}));
}

TEST_F(TemplateReconcilerTest, BrokenTemplateIsNotReadyWithTheErrorLocation) {
  json t = TemplateJson();
  t["spec"]["slack"]["blocks"] = R"([{"type":"section","text":{{content.project}}}])";
  templates_.Put(t);
  ASSERT_TRUE(Reconcile().ok);
  EXPECT_EQ(Cond(Template(), "Ready"), "False/Invalid");
  EXPECT_NE(CondMessage(Template(), "Ready").find("spec.slack.blocks"), std::string::npos)
      << CondMessage(Template(), "Ready");
  ASSERT_FALSE(api_.Events().empty());
  EXPECT_EQ(api_.Events().back()["type"], "Warning");
  EXPECT_EQ(api_.Events().back()["reason"], "Invalid");
}

TEST_F(TemplateReconcilerTest, DeletedTemplateStillRequeuesItsChannels) {
  channels_.Put(op::fixtures::SampleChannelJson());
  ASSERT_TRUE(Reconcile().ok);
  EXPECT_EQ(requeued_, (std::vector<std::string>{"team-a/ops-alerts"}));
  EXPECT_TRUE(api_.Sent().empty());
}

}  // namespace
}  // namespace herald::controller
