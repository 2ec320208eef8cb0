#include "runtime/informer.h"

#include <gtest/gtest.h>

#include <stop_token>
#include <thread>

#include "runtime/fake_client.h"

namespace herald::runtime {
namespace {

using nlohmann::json;
using testing::FakeClient;

json Obj(const std::string& name, const std::string& rv) {
  return {{"metadata", {{"namespace", "ns"}, {"name", name}, {"resourceVersion", rv}}}};
}

json ListBody(std::vector<json> items, const std::string& rv) {
  return {{"items", items}, {"metadata", {{"resourceVersion", rv}}}};
}

template <typename Pred>
bool Eventually(Pred p) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    if (p()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return p();
}

TEST(ChangedBeyondStatus, OnlySpecMetadataAndDeletionCount) {
  const nlohmann::json base = {
      {"metadata", {{"name", "a"}, {"generation", 2}, {"resourceVersion", "10"}, {"labels", {{"x", "1"}}}}},
      {"spec", {{"type", "slack"}}},
      {"status", {{"observedGeneration", 1}}}};
  auto with = [&](const std::function<void(nlohmann::json&)>& edit) {
    nlohmann::json j = base;
    edit(j);
    return j;
  };
  EXPECT_FALSE(
      ChangedBeyondStatus(base, with([](auto& j) {
                            j["status"]["observedGeneration"] = 2;
                            j["metadata"]["resourceVersion"] = "11";
                            j["metadata"]["managedFields"] = nlohmann::json::array({{{"manager", "herald-operator"}}});
                          })))
      << "a status write alone";
  EXPECT_TRUE(ChangedBeyondStatus(base, with([](auto& j) { j["metadata"]["generation"] = 3; })));
  EXPECT_TRUE(
      ChangedBeyondStatus(base, with([](auto& j) { j["metadata"]["deletionTimestamp"] = "2026-01-01T00:00:00Z"; })));
  EXPECT_TRUE(ChangedBeyondStatus(base, with([](auto& j) { j["metadata"]["finalizers"] = {"herald.dev/finalizer"}; })));
  EXPECT_TRUE(ChangedBeyondStatus(base, with([](auto& j) { j["metadata"]["labels"]["x"] = "2"; })));
  EXPECT_TRUE(ChangedBeyondStatus(base, with([](auto& j) { j["metadata"]["annotations"] = {{"a", "b"}}; })));
  EXPECT_FALSE(ChangedBeyondStatus(nlohmann::json::object(), nlohmann::json::object()));
}

TEST(StatusChanged, OnlyTheStatus) {
  const nlohmann::json base = {{"metadata", {{"name", "a"}, {"resourceVersion", "10"}}}, {"spec", {{"type", "slack"}}}};
  nlohmann::json with_status = base;
  with_status["status"] = {{"observedGeneration", 1}};
  EXPECT_TRUE(StatusChanged(base, with_status)) << "a first status";
  nlohmann::json relisted = with_status;
  relisted["metadata"]["resourceVersion"] = "11";
  EXPECT_FALSE(StatusChanged(with_status, relisted));
  nlohmann::json spec_changed = with_status;
  spec_changed["spec"]["type"] = "teams";
  EXPECT_FALSE(StatusChanged(with_status, spec_changed));
  nlohmann::json later = with_status;
  later["status"]["observedGeneration"] = 2;
  EXPECT_TRUE(StatusChanged(with_status, later));
}

TEST(Informer, ListsThenAppliesWatchEventsAndResumesFromLastVersion) {
  FakeClient c;
  int lists = 0;
  c.on_send = [&](const std::string&, const std::string&, const std::string&) -> Result<kube::Response> {
    ++lists;
    return kube::Response{200, ListBody({Obj("a", "10")}, "10"), ""};
  };
  c.PushWatch({{{"ADDED", Obj("b", "11")}, {"MODIFIED", Obj("a", "12")}, {"BOOKMARK", Obj("", "15")}},
               Error{"connection reset"}});
  c.PushWatch({{{"DELETED", Obj("b", "16")}}, OkStatus()});

  std::vector<std::string> seen;
  std::mutex mu;
  auto record = [&](const std::string& s) {
    std::lock_guard<std::mutex> l(mu);
    seen.push_back(s);
  };
  InformerHandlers h{[&](const json& o) { record("add " + ObjectKey(o)); },
                     [&](const json&, const json& n) { record("update " + ObjectKey(n)); },
                     [&](const json& o) { record("delete " + ObjectKey(o)); }};
  Informer inf(c, "/api/v1/configmaps", "", h);
  std::stop_source stop;
  std::thread t([&] { inf.Run(stop.get_token()); });
  ASSERT_TRUE(Eventually([&] { return c.watch_paths().size() >= 3; }));
  stop.request_stop();
  t.join();

  EXPECT_EQ(lists, 1) << "a broken connection must resume the watch, not relist";
  auto paths = c.watch_paths();
  EXPECT_NE(paths[0].find("resourceVersion=10"), std::string::npos) << paths[0];
  EXPECT_NE(paths[1].find("resourceVersion=15"), std::string::npos) << "resume from the bookmark: " << paths[1];
  EXPECT_NE(paths[0].find("allowWatchBookmarks=true"), std::string::npos);
  std::vector<std::string> want{"add ns/a", "add ns/b", "update ns/a", "delete ns/b"};
  EXPECT_EQ(seen, want);
  EXPECT_TRUE(inf.Get("ns/a").has_value());
  EXPECT_FALSE(inf.Get("ns/b").has_value());
  EXPECT_EQ(inf.Get("ns/a")->at("metadata").at("resourceVersion"), "12");
}

// Cached objects lose managedFields, and whatever the caller's transform
// drops, both from the list and from watch events, before any handler sees
// them.
TEST(Informer, TrimsObjectsBeforeCachingThem) {
  auto fat = [](const std::string& name, const std::string& rv) {
    json o = Obj(name, rv);
    o["metadata"]["managedFields"] = json::array({{{"manager", "kubectl"}}});
    o["data"] = {{"sidecar.yaml", std::string(1000, 'x')}};
    return o;
  };
  FakeClient c;
  c.on_send = [&](const std::string&, const std::string&, const std::string&) -> Result<kube::Response> {
    return kube::Response{200, ListBody({fat("a", "10")}, "10"), ""};
  };
  c.PushWatch({{{"ADDED", fat("b", "11")}}, OkStatus()});
  std::mutex mu;
  std::vector<json> handed;
  auto keep = [&](const json& o) {
    std::lock_guard<std::mutex> l(mu);
    handed.push_back(o);
  };
  Informer inf(c, "/api/v1/configmaps", "", {keep, [&](const json&, const json& n) { keep(n); }, keep});
  inf.SetTransform([](json& o) { o.erase("data"); });
  std::stop_source stop;
  std::thread t([&] { inf.Run(stop.get_token()); });
  ASSERT_TRUE(Eventually([&] { return inf.Get("ns/b").has_value(); }));
  stop.request_stop();
  t.join();
  for (const auto& key : {"ns/a", "ns/b"}) {
    json o = *inf.Get(key);
    EXPECT_FALSE(o["metadata"].contains("managedFields")) << key;
    EXPECT_FALSE(o.contains("data")) << key;
    EXPECT_EQ(o["metadata"]["namespace"], "ns");
  }
  std::lock_guard<std::mutex> l(mu);
  ASSERT_EQ(handed.size(), 2u);
  for (const auto& o : handed) EXPECT_FALSE(o.contains("data"));
}

TEST(Informer, GoneRelistsAndReportsWhatChangedMeanwhile) {
  FakeClient c;
  std::atomic<int> lists{0};
  c.on_send = [&](const std::string&, const std::string&, const std::string&) -> Result<kube::Response> {
    if (++lists == 1) return kube::Response{200, ListBody({Obj("a", "10"), Obj("b", "10")}, "10"), ""};
    return kube::Response{200, ListBody({Obj("a", "30"), Obj("c", "30")}, "30"), ""};
  };
  c.PushWatch({{{"ERROR", {{"kind", "Status"}, {"code", 410}, {"reason", "Expired"}}}}, OkStatus()});
  std::vector<std::string> seen;
  std::mutex mu;
  auto record = [&](const std::string& s) {
    std::lock_guard<std::mutex> l(mu);
    seen.push_back(s);
  };
  Informer inf(c, "/x", "",
               {[&](const json& o) { record("add " + ObjectKey(o)); },
                [&](const json&, const json& n) { record("update " + ObjectKey(n)); },
                [&](const json& o) { record("delete " + ObjectKey(o)); }});
  std::stop_source stop;
  std::thread t([&] { inf.Run(stop.get_token()); });
  ASSERT_TRUE(Eventually([&] { return inf.Relists() == 1 && c.watch_paths().size() >= 2; }));
  stop.request_stop();
  t.join();
  std::vector<std::string> want{"add ns/a", "add ns/b", "delete ns/b", "add ns/c", "update ns/a"};
  EXPECT_EQ(seen, want);
  EXPECT_NE(c.watch_paths()[1].find("resourceVersion=30"), std::string::npos);
}

TEST(Informer, ListFailureRetriesUntilItSucceeds) {
  FakeClient c;
  std::atomic<int> calls{0};
  c.on_send = [&](const std::string&, const std::string&, const std::string&) -> Result<kube::Response> {
    if (++calls < 3) return kube::Response{500, nullptr, "boom"};
    return kube::Response{200, ListBody({}, "5"), ""};
  };
  Informer inf(c, "/x", "app=herald", {});
  std::stop_source stop;
  std::thread t([&] { inf.Run(stop.get_token()); });
  ASSERT_TRUE(Eventually([&] { return inf.HasSynced(); }));
  stop.request_stop();
  t.join();
  EXPECT_EQ(calls.load(), 3);
  EXPECT_NE(c.sent()[0].find("labelSelector=app%3Dherald"), std::string::npos) << c.sent()[0];
}

TEST(Informer, OnSyncedIsCalledOnceAfterTheFirstListOnly) {
  FakeClient c;
  c.on_send = [&](const std::string&, const std::string&, const std::string&) -> Result<kube::Response> {
    return kube::Response{200, ListBody({Obj("a", "10")}, "10"), ""};
  };
  // Two relists after the first list: the callback is for the first only.
  c.PushWatch({{{"ERROR", {{"kind", "Status"}, {"code", 410}, {"reason", "Expired"}}}}, OkStatus()});
  c.PushWatch({{{"ERROR", {{"kind", "Status"}, {"code", 410}, {"reason", "Expired"}}}}, OkStatus()});
  Informer inf(c, "/x", "", {});
  std::atomic<int> notified{0};
  std::atomic<bool> synced_when_notified{false};
  inf.OnSynced([&] {
    synced_when_notified = inf.HasSynced();
    ++notified;
  });
  std::stop_source stop;
  std::thread t([&] { inf.Run(stop.get_token()); });
  ASSERT_TRUE(Eventually([&] { return inf.Relists() == 2 && c.watch_paths().size() >= 3; }));
  stop.request_stop();
  t.join();
  EXPECT_EQ(notified.load(), 1);
  EXPECT_TRUE(synced_when_notified.load()) << "HasSynced() must already be true for whoever is woken";
}

TEST(Informer, StopEndsABackoffAtOnce) {
  FakeClient c;
  std::atomic<int> calls{0};
  c.on_send = [&](const std::string&, const std::string&, const std::string&) -> Result<kube::Response> {
    ++calls;
    return kube::Response{500, nullptr, "boom"};
  };
  Informer inf(c, "/x", "", {});
  std::stop_source stop;
  std::thread t([&] { inf.Run(stop.get_token()); });
  // After 4 failures (backoffs of about 0.2, 0.4, 0.8 s) the next backoff
  // is at least 0.8 s: the informer is waiting when the stop comes.
  ASSERT_TRUE(Eventually([&] { return calls.load() >= 4; }));
  auto start = std::chrono::steady_clock::now();
  stop.request_stop();
  t.join();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(500));
}

}  // namespace
}  // namespace herald::runtime
