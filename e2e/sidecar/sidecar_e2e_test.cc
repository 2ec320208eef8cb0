// herald-sidecar end to end on the real stack: real Kafka, the webhook sink
// fixture (Slack / Teams / signed-webhook personas with injected failures) and
// the Mailpit SMTP sink. Each test runs the real binary as a child process.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "stack_env.h"
#include "testkit/testkit.h"

namespace herald {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
namespace tk = herald::testkit;
namespace fs = std::filesystem;

std::string Uuid(int i, const std::string& run) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%08x-0000-4000-8000-%012d", static_cast<unsigned>(std::stoul(run) % 0xffffffff), i);
  return buf;
}

std::string EnvelopeJson(const std::string& id, const std::string& version = "1.0") {
  return json{{"globalId", id},
              {"from", "e2e"},
              {"createdAt", "2026-11-22T10:15:00Z"},
              {"content", {{"version", version}, {"project", "checkout"}, {"used", 11}, {"limit", 10}}}}
      .dump();
}

class SidecarE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    bootstrap_ = herald::testing::StackEnv("HERALD_KAFKA_BOOTSTRAP");
    ASSERT_FALSE(bootstrap_.empty());
    run_ = tk::UniqueSuffix();
    dir_ = fs::temp_directory_path() / ("herald-sidecar-e2e-" + run_);
    fs::create_directories(dir_);
    topic_ = "herald.e2e." + run_;
    dlq_ = topic_ + ".dlq";
    events_ = "herald.e2e.events." + run_;
    ASSERT_EQ(tk::CreateTopics(bootstrap_, {topic_, dlq_, events_}, 3), "");
    sink_ = tk::StartSink(HERALD_WEBHOOK_SINK, dir_.string());
    ASSERT_GT(sink_.port, 0) << "webhook sink did not start";
  }
  void TearDown() override {
    for (auto& p : sidecars_) {
      if (p.Running()) p.Stop(SIGKILL, 5s);
    }
    sink_.process.Stop(SIGTERM, 5s);
    tk::DeleteTopics(bootstrap_, {topic_, dlq_, events_});
    if (!HasFailure()) fs::remove_all(dir_);
  }

  // Writes a config for `type` whose sink section points at `path` on the webhook sink.
  std::string WriteConfig(const std::string& type, const std::string& path, const std::string& delivery,
                          int metrics_port) {
    std::ofstream(dir_ / "url") << sink_.Url(path);
    std::string sink_section = type == "webhook" ? "webhook: {urlFile: " + (dir_ / "url").string() + "}\n"
                                                 : type + ": {webhookURLFile: " + (dir_ / "url").string() + "}\n";
    std::string cfg = "channel: {namespace: e2e, name: ch" + run_ + ", type: " + type + "}\n" +
                      "kafka: {bootstrapServers: '" + bootstrap_ + "', topic: " + topic_ +
                      ", deadLetterTopic: " + dlq_ + ", groupId: " + topic_ + ", eventsTopic: " + events_ + "}\n" +
                      "delivery: " + delivery + "\n" + "drainTimeout: 10s\n" +
                      "template:\n  contentVersion: 1\n"
                      "  slack: {text: 'Quota exceeded for {{content.project}}', blocks: '[{\"type\":\"section\","
                      "\"text\":{\"type\":\"mrkdwn\",\"text\":\"*{{content.project}}* used {{content.used}}\"}}]'}\n"
                      "  teams: {card: '{\"type\":\"AdaptiveCard\",\"version\":\"1.4\",\"body\":[{\"type\":"
                      "\"TextBlock\",\"text\":\"{{content.project}} is over quota\"}]}'}\n" +
                      sink_section + "server: {metricsAddress: '127.0.0.1:" + std::to_string(metrics_port) +
                      "', probeAddress: '127.0.0.1:" + std::to_string(ProbePort()) + "'}\n";
    auto path_out = (dir_ / "sidecar.yaml").string();
    std::ofstream(path_out) << cfg;
    return path_out;
  }

  tk::Process StartSidecar(const std::string& config) {
    auto p = tk::Spawn({HERALD_SIDECAR_BIN, "--config", config},
                       (dir_ / ("sidecar-" + std::to_string(sidecars_.size()) + ".log")).string());
    sidecars_.push_back(p);
    return p;
  }

  std::vector<tk::Record> Envelopes(int n, int start = 0) {
    std::vector<tk::Record> out;
    for (int i = start; i < start + n; ++i) {
      std::string id = Uuid(i, run_);
      out.push_back(
          {id, EnvelopeJson(id), {{"traceparent", "00-" + std::string(32, 'a') + "-" + std::string(16, 'b') + "-01"}}});
    }
    return out;
  }

  std::set<std::string> DeliveredIds(const std::string& glob, int status_ok, size_t* total = nullptr) {
    std::set<std::string> ids;
    size_t n = 0;
    for (const auto& r : sink_.Requests(glob)) {
      if (r.value("status", 0) != status_ok) continue;
      ++n;
      const auto& h = r["headers"];
      for (auto it = h.begin(); it != h.end(); ++it) {
        std::string k = it.key();
        std::transform(k.begin(), k.end(), k.begin(), ::tolower);
        if (k == "x-herald-global-id")
          ids.insert(it.value().is_array() ? it.value()[0].get<std::string>() : it.value().get<std::string>());
      }
    }
    if (total) *total = n;
    return ids;
  }

  // Metrics port; the probe port is ProbePort(). Picked by the kernel, so
  // they never collide with the stack's ports or another test's.
  int Port() {
    if (metrics_port_ == 0) metrics_port_ = tk::FreePort();
    return metrics_port_;
  }
  int ProbePort() {
    if (probe_port_ == 0) probe_port_ = tk::FreePort();
    return probe_port_;
  }
  int metrics_port_ = 0, probe_port_ = 0;

  std::string bootstrap_, run_, topic_, dlq_, events_;
  fs::path dir_;
  tk::Sink sink_;
  std::vector<tk::Process> sidecars_;
};

TEST_F(SidecarE2E, DeliversValidMessagesDeadLettersInvalidOnesAndCommitsOnlyFinishedWork) {
  auto cfg = WriteConfig("webhook", "/hook/a", "{maxAttempts: 3, backoff: {initial: 50ms, max: 200ms}}", Port());
  auto records = Envelopes(200);
  records.push_back({"bad-json", "{not json", {{"traceparent", "00-keep-me"}}});
  records.push_back({"no-id", R"({"from":"x","createdAt":"2026-11-22T10:15:00Z","content":{"version":"1"}})", {}});
  std::string v2 = Uuid(999, run_);
  records.push_back({v2, EnvelopeJson(v2, "2.0"), {}});
  ASSERT_EQ(tk::Produce(bootstrap_, topic_, records), "");
  auto sidecar = StartSidecar(cfg);

  ASSERT_TRUE(tk::Eventually([&] { return DeliveredIds("/hook/a", 200).size() == 200; }, 60s))
      << "delivered " << DeliveredIds("/hook/a", 200).size() << "/200\n"
      << sidecar.Log();
  std::vector<tk::Record> dead;
  ASSERT_TRUE(tk::Eventually([&] { return (dead = tk::ReadAll(bootstrap_, dlq_)).size() >= 3; }, 30s));
  EXPECT_EQ(dead.size(), 3u);
  std::map<std::string, tk::Record> by_key;
  for (auto& d : dead) by_key[d.key] = d;
  ASSERT_TRUE(by_key.count("bad-json"));
  EXPECT_EQ(by_key["bad-json"].value, "{not json") << "the original value is kept";
  EXPECT_EQ(by_key["bad-json"].headers["herald-error-class"], "invalid");
  EXPECT_NE(by_key["bad-json"].headers["herald-error"].find("JSON"), std::string::npos);
  EXPECT_EQ(by_key["bad-json"].headers["traceparent"], "00-keep-me") << "traceparent passes through";
  EXPECT_NE(by_key["bad-json"].headers["herald-origin"].find(topic_ + "/"), std::string::npos);
  EXPECT_FALSE(by_key["bad-json"].headers["herald-failed-at"].empty());
  EXPECT_NE(by_key["no-id"].headers["herald-error"].find("globalId"), std::string::npos);
  EXPECT_NE(by_key[v2].headers["herald-error"].find("major version"), std::string::npos);

  // The outcomes are visible in Prometheus format.
  std::string metrics;
  ASSERT_EQ(tk::HttpGet("http://127.0.0.1:" + std::to_string(Port()) + "/metrics", &metrics), 200);
  const std::string ch = "channel=\"e2e/ch" + run_ + "\"";
  EXPECT_NE(metrics.find("herald_deliveries_total{" + ch + ",outcome=\"delivered\"} 200"), std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find("herald_dead_letters_total{" + ch + ",class=\"invalid\"} 3"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("herald_delivery_latency_seconds_count{" + ch + "} 200"), std::string::npos) << metrics;
  std::string ready;
  EXPECT_EQ(tk::HttpGet("http://127.0.0.1:" + std::to_string(ProbePort()) + "/readyz", &ready), 200) << ready;

  // Graceful shutdown: exit 0 with every finished offset committed.
  EXPECT_EQ(sidecar.Stop(SIGTERM, 30s), 0) << sidecar.Log();
  EXPECT_EQ(tk::GroupLag(bootstrap_, topic_, topic_), 0);
  // Lifecycle events were produced for the outcomes.
  auto events = tk::ReadAll(bootstrap_, events_);
  size_t delivered_events = 0;
  for (const auto& e : events) delivered_events += json::parse(e.value).value("event", "") == "delivered";
  EXPECT_GE(delivered_events, 200u);
}

TEST_F(SidecarE2E, RetriesServerErrorsAndHonoursRetryAfterThenDeadLettersWhatIsExhausted) {
  auto cfg = WriteConfig("webhook", "/hook/r", "{maxAttempts: 4, backoff: {initial: 20ms, max: 100ms}}", Port());
  // First 30 answers fail with 503, then 5 with 429 + Retry-After: 1, then success.
  sink_.Control(
      "POST", "behaviour",
      json::array({{{"path", "/hook/r"}, {"mode", "status"}, {"status", 503}, {"count", 30}},
                   {{"path", "/hook/r"}, {"mode", "status"}, {"status", 429}, {"retryAfter", 1}, {"count", 5}}}));
  ASSERT_EQ(tk::Produce(bootstrap_, topic_, Envelopes(50)), "");
  auto sidecar = StartSidecar(cfg);
  ASSERT_TRUE(tk::Eventually([&] { return DeliveredIds("/hook/r", 200).size() == 50; }, 60s))
      << DeliveredIds("/hook/r", 200).size() << "/50\n"
      << sidecar.Log();
  EXPECT_TRUE(tk::ReadAll(bootstrap_, dlq_).empty()) << "retryable failures within maxAttempts must not dead-letter";

  // Now the receiver fails for good: 5 more messages exhaust their attempts.
  sink_.Control("POST", "behaviour", {{"path", "/hook/r"}, {"mode", "status"}, {"status", 500}});
  ASSERT_EQ(tk::Produce(bootstrap_, topic_, Envelopes(5, 1000)), "");
  std::vector<tk::Record> dead;
  ASSERT_TRUE(tk::Eventually([&] { return (dead = tk::ReadAll(bootstrap_, dlq_)).size() >= 5; }, 60s)) << sidecar.Log();
  for (auto& d : dead) {
    EXPECT_EQ(d.headers["herald-error-class"], "exhausted");
    EXPECT_EQ(d.headers["herald-attempts"], "4");
  }
  EXPECT_EQ(sidecar.Stop(SIGTERM, 30s), 0);
  EXPECT_EQ(tk::GroupLag(bootstrap_, topic_, topic_), 0);
}

TEST_F(SidecarE2E, PermanentRefusalIsDeadLetteredAtOnce) {
  auto cfg = WriteConfig("slack", "/slack/gone", "{maxAttempts: 5}", Port());
  sink_.Control("POST", "behaviour",
                {{"path", "/slack/gone"}, {"mode", "status"}, {"status", 404}, {"body", "no_service"}});
  ASSERT_EQ(tk::Produce(bootstrap_, topic_, Envelopes(3)), "");
  auto sidecar = StartSidecar(cfg);
  std::vector<tk::Record> dead;
  ASSERT_TRUE(tk::Eventually([&] { return (dead = tk::ReadAll(bootstrap_, dlq_)).size() >= 3; }, 30s)) << sidecar.Log();
  for (auto& d : dead) {
    EXPECT_EQ(d.headers["herald-error-class"], "permanent");
    EXPECT_EQ(d.headers["herald-attempts"], "1") << "a permanent answer is not retried";
  }
  EXPECT_EQ(sidecar.Stop(SIGTERM, 30s), 0);
}

TEST_F(SidecarE2E, SlackAndTeamsPayloadsAreAcceptedByReceiversThatValidateThem) {
  for (const std::string type : {"slack", "teams"}) {
    auto cfg = WriteConfig(type, "/" + type + "/x", "{maxAttempts: 2}", Port());
    auto sidecar = StartSidecar(cfg);
    ASSERT_EQ(tk::Produce(bootstrap_, topic_, Envelopes(5, type == "teams" ? 100 : 0)), "");
    int ok = type == "slack" ? 200 : 202;
    ASSERT_TRUE(tk::Eventually([&] { return DeliveredIds("/" + type + "/x", ok).size() == 5; }, 30s))
        << type << ": " << json(sink_.Requests("/" + type + "/x")).dump().substr(0, 2000) << "\n"
        << sidecar.Log();
    EXPECT_EQ(sidecar.Stop(SIGTERM, 30s), 0);
  }
  // Microsoft's Adaptive Cards parser (npm adaptivecards) accepts every Teams card sent.
  auto teams = sink_.Requests("/teams/x");
  ASSERT_FALSE(teams.empty());
  for (const auto& r : teams) {
    auto body = dir_ / "card.json";
    std::ofstream(body) << r.value("body", "");
    std::string cmd = "node " + std::string(HERALD_CARD_CHECK) + " < " + body.string() + " 2>&1";
    FILE* p = popen(cmd.c_str(), "r");
    char buf[2048];
    std::string out;
    size_t got;
    while ((got = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, got);
    EXPECT_EQ(pclose(p), 0) << out << "\n" << r.value("body", "");
  }
}

TEST_F(SidecarE2E, NoMessageIsLostWhenTheWorkerIsKilledOrStoppedUnderLoad) {
  auto cfg = WriteConfig("webhook", "/hook/drill", "{maxAttempts: 5, concurrency: 32}", Port());
  // A slow receiver keeps work in flight when the worker goes down.
  sink_.Control("POST", "behaviour", {{"path", "/hook/drill"}, {"mode", "slow"}, {"delayMs", 20}});
  const int n = 2000;
  ASSERT_EQ(tk::Produce(bootstrap_, topic_, Envelopes(n)), "");
  auto first = StartSidecar(cfg);
  ASSERT_TRUE(tk::Eventually([&] { return DeliveredIds("/hook/drill", 200).size() >= 300; }, 60s)) << first.Log();
  EXPECT_EQ(first.Stop(SIGKILL, 10s), 128 + SIGKILL);
  auto second = StartSidecar(cfg);
  ASSERT_TRUE(tk::Eventually([&] { return DeliveredIds("/hook/drill", 200).size() >= 1200; }, 90s)) << second.Log();
  EXPECT_EQ(second.Stop(SIGTERM, 30s), 0) << "SIGTERM under load must drain and exit 0\n" << second.Log();
  auto third = StartSidecar(cfg);
  ASSERT_TRUE(tk::Eventually([&] { return DeliveredIds("/hook/drill", 200).size() == static_cast<size_t>(n); }, 120s))
      << DeliveredIds("/hook/drill", 200).size() << "/" << n << "\n"
      << third.Log();
  EXPECT_EQ(third.Stop(SIGTERM, 30s), 0);
  size_t total = 0;
  DeliveredIds("/hook/drill", 200, &total);
  EXPECT_TRUE(tk::ReadAll(bootstrap_, dlq_).empty());
  EXPECT_EQ(tk::GroupLag(bootstrap_, topic_, topic_), 0);
  // At least once: duplicates only from work in flight at the kill.
  RecordProperty("delivered_unique", n);
  RecordProperty("delivered_total", static_cast<int>(total));
  std::printf("drill: %d unique delivered, %zu requests answered 200 (%zu duplicates)\n", n, total, total - n);
}

TEST_F(SidecarE2E, NoMessageIsLostWhenTheBrokerRestartsUnderLoad) {
  const std::string stack_dir = herald::testing::StackEnv("HERALD_STACK_DIR");
  auto cfg = WriteConfig("webhook", "/hook/broker", "{maxAttempts: 5, concurrency: 32}", Port());
  sink_.Control("POST", "behaviour", {{"path", "/hook/broker"}, {"mode", "slow"}, {"delayMs", 10}});
  const int n = 2000;
  ASSERT_EQ(tk::Produce(bootstrap_, topic_, Envelopes(n)), "");
  auto sidecar = StartSidecar(cfg);
  ASSERT_TRUE(tk::Eventually([&] { return DeliveredIds("/hook/broker", 200).size() >= 300; }, 60s)) << sidecar.Log();

  // Stop the broker mid-load, then start it again with the stack's own script.
  std::ifstream pid_file(stack_dir + "/pids/kafka.pid");
  pid_t kafka = 0;
  ASSERT_TRUE(pid_file >> kafka) << "no Kafka pid in " << stack_dir;
  ASSERT_EQ(::kill(kafka, SIGTERM), 0);
  ASSERT_TRUE(tk::Eventually([&] { return ::kill(kafka, 0) != 0; }, 60s)) << "Kafka did not stop";
  ASSERT_EQ(std::system((std::string(HERALD_STACK_UP) + " >/dev/null 2>&1").c_str()), 0) << "restarting the stack";
  EXPECT_TRUE(sidecar.Running()) << "the worker must survive a broker restart\n" << sidecar.Log();

  ASSERT_TRUE(tk::Eventually([&] { return DeliveredIds("/hook/broker", 200).size() == static_cast<size_t>(n); }, 180s))
      << DeliveredIds("/hook/broker", 200).size() << "/" << n << "\n"
      << sidecar.Log();
  EXPECT_EQ(sidecar.Stop(SIGTERM, 30s), 0) << sidecar.Log();
  size_t total = 0;
  DeliveredIds("/hook/broker", 200, &total);
  EXPECT_TRUE(tk::ReadAll(bootstrap_, dlq_).empty());
  EXPECT_EQ(tk::GroupLag(bootstrap_, topic_, topic_), 0);
  std::printf("broker drill: %d unique delivered, %zu requests answered 200 (%zu duplicates)\n", n, total, total - n);
}

TEST_F(SidecarE2E, NoMessageIsLostWhileTheReceiverFailsForAWhile) {
  auto cfg = WriteConfig("webhook", "/hook/flaky",
                         "{maxAttempts: 6, backoff: {initial: 50ms, max: 400ms}, concurrency: 32}", Port());
  // The receiver answers 503 to its next 1,500 requests, then recovers.
  sink_.Control("POST", "behaviour", {{"path", "/hook/flaky"}, {"mode", "status"}, {"status", 503}, {"count", 1500}});
  const int n = 3000;
  ASSERT_EQ(tk::Produce(bootstrap_, topic_, Envelopes(n)), "");
  auto sidecar = StartSidecar(cfg);
  // Every message ends delivered or dead-lettered with a reason: none vanishes.
  std::set<std::string> delivered, dead;
  auto accounted = [&] {
    delivered = DeliveredIds("/hook/flaky", 200);
    dead.clear();
    for (const auto& d : tk::ReadAll(bootstrap_, dlq_)) dead.insert(d.key);
    std::set<std::string> all = delivered;
    all.insert(dead.begin(), dead.end());
    return all.size() == static_cast<size_t>(n);
  };
  ASSERT_TRUE(tk::Eventually(accounted, 180s, 500ms))
      << delivered.size() << " delivered + " << dead.size() << " dead-lettered of " << n << "\n"
      << sidecar.Log();
  for (const auto& d : tk::ReadAll(bootstrap_, dlq_)) EXPECT_EQ(d.headers.at("herald-error-class"), "exhausted");
  EXPECT_EQ(sidecar.Stop(SIGTERM, 30s), 0) << sidecar.Log();
  EXPECT_EQ(tk::GroupLag(bootstrap_, topic_, topic_), 0);
  size_t total = 0;
  DeliveredIds("/hook/flaky", 200, &total);
  std::printf("5xx drill: %d messages: %zu delivered (%zu duplicates), %zu dead-lettered (exhausted)\n", n,
              delivered.size(), total - delivered.size(), dead.size());
}

}  // namespace
}  // namespace herald
