// The cpprestsdk client against the local stack's real kube-apiserver: TLS
// with client certificates, pagination, server-side apply, watch streaming,
// and a refused request for an identity without rights.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <random>
#include <thread>

#include "kube/client.h"
#include "stack_env.h"

namespace herald::kube {
namespace {

const Resource kNamespaces{"", "v1", "namespaces", false};
const Resource kConfigMaps{"", "v1", "configmaps", true};

class KubeClientStackTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string kubeconfig = herald::testing::StackEnv("KUBECONFIG");
    ASSERT_FALSE(kubeconfig.empty());
    auto cfg = LoadKubeconfig(kubeconfig);
    ASSERT_TRUE(cfg.ok()) << cfg.error();
    cfg_ = *cfg;
    auto c = NewRestClient(cfg_);
    ASSERT_TRUE(c.ok()) << c.error();
    client_ = std::move(*c);
    std::random_device rd;
    ns_ = "herald-kube-test-" + std::to_string(rd() % 1000000);
    auto r = Apply(*client_, ResourcePath(kNamespaces, "", ns_),
                   {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", ns_}}}}, "herald-test");
    ASSERT_TRUE(r.ok()) << r.error();
  }
  void TearDown() override {
    if (client_) (void)client_->Send("DELETE", ResourcePath(kNamespaces, "", ns_));
  }
  static nlohmann::json ConfigMap(const std::string& ns, const std::string& name, const std::string& value) {
    return {{"apiVersion", "v1"},
            {"kind", "ConfigMap"},
            {"metadata", {{"name", name}, {"namespace", ns}, {"labels", {{"herald.dev/test", "yes"}}}}},
            {"data", {{"k", value}}}};
  }

  ClusterConfig cfg_;
  ClientPtr client_;
  std::string ns_;
};

TEST_F(KubeClientStackTest, ServerSideApplyCreatesThenUpdatesWithFieldManager) {
  std::string path = ResourcePath(kConfigMaps, ns_, "cm");
  ASSERT_TRUE(Apply(*client_, path, ConfigMap(ns_, "cm", "one"), "herald-operator").ok());
  auto r = Apply(*client_, path, ConfigMap(ns_, "cm", "two"), "herald-operator");
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(r->body["data"]["k"], "two");
  bool managed = false;
  for (const auto& mf : r->body["metadata"]["managedFields"]) managed |= mf["manager"] == "herald-operator";
  EXPECT_TRUE(managed);
}

TEST_F(KubeClientStackTest, ListAllFollowsContinueTokens) {
  for (int i = 0; i < 5; ++i) {
    std::string name = "cm-" + std::to_string(i);
    ASSERT_TRUE(Apply(*client_, ResourcePath(kConfigMaps, ns_, name), ConfigMap(ns_, name, "v"), "t").ok());
  }
  auto list = ListAll(*client_, ResourcePath(kConfigMaps, ns_), "herald.dev/test=yes", /*page_size=*/2);
  ASSERT_TRUE(list.ok()) << list.error();
  EXPECT_EQ(list->items.size(), 5u);
  EXPECT_FALSE(list->resource_version.empty());
}

TEST_F(KubeClientStackTest, WatchStreamsEventsAsTheyHappen) {
  auto list = ListAll(*client_, ResourcePath(kConfigMaps, ns_));
  ASSERT_TRUE(list.ok()) << list.error();
  std::atomic<int> added{0};
  Status watch_status = OkStatus();
  std::thread watcher([&] {
    watch_status = client_->Watch(
        ResourcePath(kConfigMaps, ns_) + "?watch=1&allowWatchBookmarks=true&timeoutSeconds=60" +
            "&resourceVersion=" + list->resource_version,
        [&](const WatchEvent& ev) {
          if (ev.type == "ADDED" && ev.object["metadata"]["name"] == "watched") ++added;
          return added.load() == 0;
        },
        std::stop_token{});
  });
  ASSERT_TRUE(Apply(*client_, ResourcePath(kConfigMaps, ns_, "watched"), ConfigMap(ns_, "watched", "v"), "t").ok());
  // The watch returns as soon as it has seen the event; if streaming were
  // buffered until the server closes, this would take the full 60 s timeout.
  auto start = std::chrono::steady_clock::now();
  watcher.join();
  EXPECT_TRUE(watch_status.ok()) << watch_status.error();
  EXPECT_EQ(added.load(), 1);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(30));
}

TEST_F(KubeClientStackTest, WatchReturnsPromptlyWhenStopped) {
  // A quiet collection: no event and no bookmark for about a minute. A stop
  // must end the watch at once (the operator's shutdown waits for it).
  auto list = ListAll(*client_, ResourcePath(kConfigMaps, ns_));
  ASSERT_TRUE(list.ok()) << list.error();
  std::stop_source stop;
  std::atomic<bool> returned{false};
  Status watch_status = OkStatus();
  std::thread watcher([&] {
    watch_status = client_->Watch(
        ResourcePath(kConfigMaps, ns_) + "?watch=1&allowWatchBookmarks=true&timeoutSeconds=120" +
            "&resourceVersion=" + list->resource_version + "&labelSelector=none%3Dnone",
        [](const WatchEvent&) { return true; }, stop.get_token());
    returned = true;
  });
  std::this_thread::sleep_for(std::chrono::seconds(1));
  EXPECT_FALSE(returned.load()) << "the watch ended by itself: " << (watch_status.ok() ? "ok" : watch_status.error());
  auto start = std::chrono::steady_clock::now();
  stop.request_stop();
  watcher.join();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(500));
  EXPECT_TRUE(watch_status.ok()) << watch_status.error();
}

TEST_F(KubeClientStackTest, UntrustedServerCertificateIsRejected) {
  ClusterConfig bad = cfg_;
  bad.ca_pem.clear();  // system trust store: does not know the stack's CA
  auto c = NewRestClient(bad);
  ASSERT_TRUE(c.ok()) << c.error();
  auto r = (*c)->Send("GET", "/version");
  EXPECT_FALSE(r.ok()) << "TLS verification accepted a certificate from an unknown CA";
}

TEST_F(KubeClientStackTest, GarbageKeyMaterialFailsAtConstruction) {
  ClusterConfig bad = cfg_;
  bad.client_key_pem = "-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n";
  auto c = NewRestClient(bad);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().find("unusable"), std::string::npos) << c.error();
}

}  // namespace
}  // namespace herald::kube
