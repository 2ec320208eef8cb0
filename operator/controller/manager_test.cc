// The manager's lifecycle against a scripted API server (FakeClient) and
// FakeTopicAdmin, with no channels: cache sync, stop, and leadership. What
// these check is that every wait ends on its event (a sync, a stop, a lost
// lease) and not on the manager's next periodic turn, 5 s away.
#include "controller/manager.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>

#include "operator/core/conditions.h"
#include "operator/core/test_fixtures.h"
#include "operator/kafka/fake_topic_admin.h"
#include "runtime/fake_client.h"

namespace herald::controller {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr const char* kLeasePath =
    "/apis/coordination.k8s.io/v1/namespaces/herald-system/leases/herald-operator-leader";

template <typename Pred>
bool Eventually(Pred p, std::chrono::milliseconds within = 10s) {
  const auto deadline = Clock::now() + within;
  while (Clock::now() < deadline) {
    if (p()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return p();
}

// Lists answer empty; an unscripted watch idles until stopped (FakeClient).
// The Lease lives in `lease` (null: none) unless `lease_down` makes every
// Lease request fail, as when the API server is unreachable.
struct FakeApi {
  runtime::testing::FakeClient client;
  std::mutex mu;
  json lease;
  bool lease_down = false;
  int lease_version = 0;

  FakeApi() {
    client.on_send = [this](const std::string& method, const std::string& path,
                            const std::string& body) -> Result<kube::Response> {
      if (path.rfind("/apis/coordination.k8s.io/", 0) == 0) return Lease(method, body);
      if (method == "GET")
        return kube::Response{200, {{"items", json::array()}, {"metadata", {{"resourceVersion", "1"}}}}, ""};
      return kube::Response{404, nullptr, ""};
    };
  }

  Result<kube::Response> Lease(const std::string& method, const std::string& body) {
    std::lock_guard<std::mutex> lock(mu);
    if (lease_down) return Error{"connection refused"};
    if (method == "GET") {
      if (lease.is_null()) return kube::Response{404, nullptr, ""};
      return kube::Response{200, lease, ""};
    }
    lease = json::parse(body);
    lease["metadata"]["resourceVersion"] = std::to_string(++lease_version);
    return kube::Response{method == "POST" ? 201 : 200, lease, ""};
  }

  std::string Holder() {
    std::lock_guard<std::mutex> lock(mu);
    return lease.is_null() ? "" : lease["spec"].value("holderIdentity", "");
  }
};

ManagerOptions Options(bool leader_elect) {
  ManagerOptions o;
  o.channel_workers = 1;
  o.leader_elect = leader_elect;
  o.leader.lease_namespace = "herald-system";
  o.leader.identity = "me";
  return o;
}

// Runs the manager on a thread; the future is its exit code.
struct Running {
  std::stop_source stop;
  std::future<int> rc;
  explicit Running(Manager& m) {
    rc = std::async(std::launch::async, [&m, token = stop.get_token()] { return m.Run(token); });
  }
  ~Running() {
    stop.request_stop();
    if (rc.valid()) rc.wait();
  }
  // Requests a stop and checks that Run returns 0 within a second.
  void ExpectPromptCleanStop() {
    auto stopped = Clock::now();
    stop.request_stop();
    ASSERT_EQ(rc.wait_for(10s), std::future_status::ready);
    EXPECT_LT(Clock::now() - stopped, 1s);
    EXPECT_EQ(rc.get(), 0);
  }
};

TEST(Manager, ReadyAsSoonAsTheLastCacheSyncsAndStopsAtOnce) {
  FakeApi api;
  // The templates list is held back: readiness must follow its answer at once.
  std::mutex gate_mu;
  std::condition_variable gate_cv;
  bool open = false;
  auto answer = api.client.on_send;
  api.client.on_send = [&](const std::string& method, const std::string& path, const std::string& body) {
    if (path.find("/templates?") != std::string::npos) {
      std::unique_lock<std::mutex> lock(gate_mu);
      gate_cv.wait(lock, [&] { return open; });
    }
    return answer(method, path, body);
  };
  kafka::FakeTopicAdmin admin;
  Manager m(api.client, admin, Options(false), std::make_shared<prometheus::Registry>());
  Running run(m);
  ASSERT_TRUE(Eventually([&] { return m.Readiness() == "informer caches not synced yet"; }));

  auto released = Clock::now();
  {
    std::lock_guard<std::mutex> lock(gate_mu);
    open = true;
  }
  gate_cv.notify_all();
  ASSERT_TRUE(Eventually([&] { return m.Readiness().empty(); })) << m.Readiness();
  EXPECT_LT(Clock::now() - released, 1s);
  EXPECT_EQ(m.Liveness(), "");

  // Watches idle, the loop waits for its next 5 s turn: a stop ends both.
  run.ExpectPromptCleanStop();
}

TEST(Manager, LosingTheLeaseEndsRunWithOneWithinTheRenewDeadline) {
  FakeApi api;
  kafka::FakeTopicAdmin admin;
  ManagerOptions o = Options(true);
  o.leader.renew_deadline = 300ms;
  o.leader.retry_period = 100ms;
  Manager m(api.client, admin, o, std::make_shared<prometheus::Registry>());
  Running run(m);
  ASSERT_TRUE(Eventually([&] { return api.Holder() == "me" && m.Readiness().empty(); })) << m.Readiness();

  auto down = Clock::now();
  {
    std::lock_guard<std::mutex> lock(api.mu);
    api.lease_down = true;
  }
  ASSERT_EQ(run.rc.wait_for(10s), std::future_status::ready);
  // Renewals fail for the renew deadline (plus one retry period); the loop
  // must hear of it then, not at its next turn.
  EXPECT_LT(Clock::now() - down, 300ms + 100ms + 1s);
  EXPECT_EQ(run.rc.get(), 1);
}

TEST(Manager, AStandbyIsReadyAndStopsAtOnceWithoutTouchingTheLease) {
  FakeApi api;
  api.lease = {
      {"apiVersion", "coordination.k8s.io/v1"},
      {"kind", "Lease"},
      {"metadata", {{"name", "herald-operator-leader"}, {"namespace", "herald-system"}, {"resourceVersion", "1"}}},
      {"spec", {{"holderIdentity", "someone-else"}, {"leaseDurationSeconds", 15}}}};
  kafka::FakeTopicAdmin admin;
  // The default 2 s retry period: the stop must cut that wait short.
  Manager m(api.client, admin, Options(true), std::make_shared<prometheus::Registry>());
  Running run(m);
  ASSERT_TRUE(Eventually([&] {
    auto sent = api.client.sent();
    return std::count(sent.begin(), sent.end(), std::string("GET ") + kLeasePath) >= 1;
  }));
  EXPECT_EQ(m.Readiness(), "");
  EXPECT_EQ(m.Liveness(), "");

  run.ExpectPromptCleanStop();
  EXPECT_EQ(api.Holder(), "someone-else");
  EXPECT_TRUE(api.client.watch_paths().empty()) << "a standby must not run informers";
}

TEST(Manager, AStopReleasesTheLease) {
  FakeApi api;
  kafka::FakeTopicAdmin admin;
  Manager m(api.client, admin, Options(true), std::make_shared<prometheus::Registry>());
  Running run(m);
  ASSERT_TRUE(Eventually([&] { return api.Holder() == "me" && m.Readiness().empty(); })) << m.Readiness();
  // The holder waits out its 2 s retry period between renewals.
  run.ExpectPromptCleanStop();
  EXPECT_EQ(api.Holder(), "");
}

// The reconcile passes the manager has finished for one controller.
double Reconciles(prometheus::Registry& registry, const std::string& controller) {
  for (const auto& family : registry.Collect()) {
    if (family.name != "controller_runtime_reconcile_total") continue;
    double total = 0;
    for (const auto& m : family.metric) {
      for (const auto& l : m.label) {
        if (l.name == "controller" && l.value == controller) total += m.counter.value;
      }
    }
    return total;
  }
  return 0;
}

// A Template's status reaches the operator's cache only on the watch, some
// time after the write returns. A channel that reads the Template before then
// sees it "not checked yet"; the status event must make it look again, or
// it stays TemplatePending until the next resync (seen in CI: scripts/demo).
TEST(Manager, AChannelLooksAgainWhenItsTemplatesStatusComesBackOnTheWatch) {
  FakeApi api;
  json channel = op::fixtures::SampleChannelJson();  // team-a/ops-alerts, Template quota-exceeded
  channel["metadata"]["resourceVersion"] = "3";
  json tmpl = {{"apiVersion", "herald.dev/v1alpha1"},
               {"kind", "Template"},
               {"metadata",
                {{"name", "quota-exceeded"},
                 {"namespace", "team-a"},
                 {"generation", 1},
                 {"uid", "tmpl-uid"},
                 {"resourceVersion", "4"}}},
               {"spec", {{"contentVersion", 1}, {"text", "{{content.used}}"}, {"slack", {{"text", "quota"}}}}}};
  std::mutex mu;
  std::condition_variable cv;
  json template_status;         // what the operator wrote
  json channel_template_ready;  // the channel's last TemplateReady condition written
  auto answer = api.client.on_send;
  api.client.on_send = [&](const std::string& method, const std::string& path,
                           const std::string& body) -> Result<kube::Response> {
    auto list = [](const json& item) {
      return kube::Response{200, {{"items", json::array({item})}, {"metadata", {{"resourceVersion", "5"}}}}, ""};
    };
    if (method == "GET" && path.find("/notificationchannels?") != std::string::npos) return list(channel);
    if (method == "GET" && path.find("/templates?") != std::string::npos) return list(tmpl);
    if (method == "GET") return answer(method, path, body);  // lists: empty; objects: 404
    json sent = body.empty() ? json::object() : json::parse(body);
    std::lock_guard<std::mutex> lock(mu);
    if (path.find("/templates/quota-exceeded/status?") != std::string::npos) {
      template_status = sent["status"];
      cv.notify_all();
    } else if (path.find("/notificationchannels/ops-alerts/status?") != std::string::npos) {
      for (const auto& c : sent["status"].value("conditions", json::array())) {
        if (c.value("type", "") == op::kTypeTemplateReady) channel_template_ready = c;
      }
    }
    sent["metadata"]["resourceVersion"] = "6";
    return kube::Response{200, sent, ""};
  };
  auto registry = std::make_shared<prometheus::Registry>();
  // The Template's watch delivers its status only after the write returned
  // and after any channel pass that the write's return set off (a second
  // pass of the channel; with none coming, the wait ends after a second).
  api.client.PushWatch({.events = {}, .result = OkStatus(), .path_contains = "/templates?", .before = [&] {
                          std::unique_lock<std::mutex> lock(mu);
                          // Bounded: a watch that never returns would hang the test's stop.
                          if (!cv.wait_for(lock, 10s, [&] { return !template_status.is_null(); })) return;
                          json with_status = tmpl;
                          with_status["status"] = template_status;
                          with_status["metadata"]["resourceVersion"] = "7";
                          lock.unlock();
                          Eventually([&] { return Reconciles(*registry, "notificationchannel") >= 2; }, 1s);
                          api.client.PushWatch({.events = {{"MODIFIED", with_status}},
                                                .result = OkStatus(),
                                                .path_contains = "/templates?",
                                                .before = nullptr});
                        }});
  kafka::FakeTopicAdmin admin;
  ManagerOptions options = Options(false);
  options.settings.bootstrap_servers = "kafka:9092";
  options.settings.sidecar_image = "herald-sidecar:test";
  Manager m(api.client, admin, options, registry);
  Running run(m);
  ASSERT_TRUE(Eventually([&] {
    std::lock_guard<std::mutex> lock(mu);
    return channel_template_ready.is_object() && channel_template_ready.value("status", "") == "True";
  })) << "the channel's TemplateReady stayed "
      << channel_template_ready.dump() << "; sent: " << ::testing::PrintToString(api.client.sent());
  run.ExpectPromptCleanStop();
}

}  // namespace
}  // namespace herald::controller
