// herald-sidecar end to end on the real stack: real Kafka, the webhook sink
// fixture (Slack / Teams / signed-webhook personas with injected failures) and
// the Mailpit SMTP sink. Each test runs the real binary as a child process.
#include <curl/curl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
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

std::string UrlEncode(const std::string& text) {
  char* escaped = curl_easy_escape(nullptr, text.c_str(), static_cast<int>(text.size()));
  std::string out = escaped != nullptr ? escaped : "";
  curl_free(escaped);
  return out;
}

// The value of the Prometheus sample whose name and labels start with `prefix`; -1 when absent.
double MetricValue(const std::string& metrics, const std::string& prefix) {
  for (size_t at = metrics.find(prefix); at != std::string::npos; at = metrics.find(prefix, at + 1)) {
    if (at != 0 && metrics[at - 1] != '\n') continue;
    size_t space = metrics.find(' ', at);
    if (space == std::string::npos) break;
    return std::stod(metrics.substr(space + 1, metrics.find('\n', space) - space - 1));
  }
  return -1;
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

  // A config for an email channel on the stack's Mailpit: STARTTLS, AUTH, the stack's CA.
  std::string WriteEmailConfig(const std::string& delivery, const std::string& default_to) {
    std::ofstream(dir_ / "smtp-user") << herald::testing::StackEnv("HERALD_SMTP_USERNAME");
    std::ofstream(dir_ / "smtp-pass") << herald::testing::StackEnv("HERALD_SMTP_PASSWORD");
    std::string cfg =
        "channel: {namespace: e2e, name: mail" + run_ + ", type: email}\n" + "kafka: {bootstrapServers: '" +
        bootstrap_ + "', topic: " + topic_ + ", deadLetterTopic: " + dlq_ + ", groupId: " + topic_ +
        ", eventsTopic: " + events_ + "}\n" + "delivery: " + delivery + "\n" + "drainTimeout: 10s\n" +
        "template:\n  contentVersion: 1\n"
        "  subject: 'Kontingent überschritten: {{content.project}} ({{content.run}})'\n"
        "  text: 'Projekt {{content.project}} hat {{content.used}} von {{content.limit}} verbraucht.'\n"
        "  html: '<p>Projekt <b>{{content.project}}</b> hat {{content.used}} verbraucht.</p>'\n"
        "email:\n  smtp: {host: '" +
        herald::testing::StackEnv("HERALD_SMTP_HOST") + "', port: " + herald::testing::StackEnv("HERALD_SMTP_PORT") +
        ", tls: starttls, usernameFile: " + (dir_ / "smtp-user").string() +
        ", passwordFile: " + (dir_ / "smtp-pass").string() +
        ", caFile: " + herald::testing::StackEnv("HERALD_STACK_CA") + "}\n" +
        "  from: 'Herald E2E <herald@herald.dev>'\n  to: ['" + default_to + "']\n" +
        "server: {metricsAddress: '127.0.0.1:" + std::to_string(Port()) +
        "', probeAddress: '127.0.0.1:" + std::to_string(ProbePort()) + "'}\n";
    auto path_out = (dir_ / "sidecar-email.yaml").string();
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

TEST_F(SidecarE2E, RateLimitBoundsTheDeliveredRate) {
  constexpr double kRate = 20;
  constexpr int kBurst = 5;
  constexpr double kTolerance = 0.2;  // arrival jitter at the receiver
  const int n = 200;
  auto cfg = WriteConfig("webhook", "/hook/rate",
                         "{maxAttempts: 3, concurrency: 32, rateLimit: {perSecond: 20, burst: 5}}", Port());
  ASSERT_EQ(tk::Produce(bootstrap_, topic_, Envelopes(n)), "");
  auto sidecar = StartSidecar(cfg);
  ASSERT_TRUE(
      tk::Eventually([&] { return DeliveredIds("/hook/rate", 200).size() == static_cast<size_t>(n); }, 60s, 200ms))
      << DeliveredIds("/hook/rate", 200).size() << "/" << n << "\n"
      << sidecar.Log();

  std::vector<double> t;
  for (const auto& r : sink_.Requests("/hook/rate")) t.push_back(r.value("time", 0.0));
  std::sort(t.begin(), t.end());
  ASSERT_EQ(t.size(), static_cast<size_t>(n)) << "every request answered 200 once";
  // A token bucket lets at most burst + rate * W requests through in any
  // window of W seconds.
  for (double window : {0.5, 1.0, 3.0}) {
    const double allowed = kRate * window * (1 + kTolerance) + kBurst;
    size_t most = 0;
    for (size_t i = 0, j = 0; i < t.size(); ++i) {
      while (j < t.size() && t[j] - t[i] <= window) ++j;
      most = std::max(most, j - i);
    }
    EXPECT_LE(static_cast<double>(most), allowed) << "in a " << window << " s window";
    RecordProperty("most_in_" + std::to_string(static_cast<int>(window * 1000)) + "ms", static_cast<int>(most));
  }
  const double span = t.back() - t.front();
  EXPECT_GE(span, (n - kBurst) / kRate / (1 + kTolerance)) << "200 messages at 20/s take about 10 s";
  std::printf("rate limit: %d messages in %.2f s (%.1f/s; limit %.0f/s, burst %d)\n", n, span, (n - 1) / span, kRate,
              kBurst);

  std::string metrics;
  ASSERT_EQ(tk::HttpGet("http://127.0.0.1:" + std::to_string(Port()) + "/metrics", &metrics), 200);
  EXPECT_GT(MetricValue(metrics, "herald_rate_limited_waits_total{channel=\"e2e/ch" + run_ + "\"}"), 0) << metrics;
  EXPECT_EQ(sidecar.Stop(SIGTERM, 30s), 0) << sidecar.Log();
}

// Email through the real binary: STARTTLS + AUTH to the stack's Mailpit, read
// back through Mailpit's API.
class SidecarEmailE2E : public SidecarE2E {
 protected:
  void SetUp() override {
    SidecarE2E::SetUp();
    api_ = herald::testing::StackEnv("HERALD_SMTP_API");
  }

  std::string Envelope(const std::string& id, const json& content, const json& recipients = nullptr) const {
    json c = {{"version", "1.0"}, {"used", 10500}, {"limit", 10000}};
    c.update(content);
    json e = {{"globalId", id}, {"from", "e2e"}, {"createdAt", "2026-11-22T10:15:00Z"}, {"content", c}};
    if (!recipients.is_null()) e["recipients"] = {{"email", recipients}};
    return e.dump();
  }

  // Mailpit's JSON for the message whose subject contains `needle` (polled
  // until it arrives); null if it never does.
  json FindMessage(const std::string& needle) const { return Find("subject:\"" + needle + "\""); }
  // The same for a message found by its Message-ID (globalId@herald.dev).
  json FindByGlobalId(const std::string& id) const { return Find("message-id:\"" + id + "@herald.dev\""); }
  json Find(const std::string& query) const {
    json found;
    tk::Eventually(
        [&] {
          std::string body;
          if (tk::HttpGet(api_ + "/search?query=" + UrlEncode(query), &body) != 200) return false;
          auto res = json::parse(body, nullptr, false);
          if (!res.is_object() || res.value("messages_count", 0) == 0) return false;
          std::string full;
          tk::HttpGet(api_ + "/message/" + res["messages"][0]["ID"].get<std::string>(), &full);
          found = json::parse(full, nullptr, false);
          return found.is_object();
        },
        30s, 200ms);
    return found.is_object() ? found : json();
  }
  std::string Get(const std::string& path) const {
    std::string body;
    tk::HttpGet(api_ + path, &body);
    return body;
  }
  static std::set<std::string> Addresses(const json& list) {
    std::set<std::string> out;
    if (list.is_array()) {
      for (const auto& a : list) out.insert(a.value("Address", ""));
    }
    return out;
  }

  std::string api_;
};

TEST_F(SidecarEmailE2E, SendsMultipartMailWithEscapedHtmlEncodedSubjectAndTheEnvelopesRecipients) {
  const std::string dflt = "default-" + run_ + "@example.com";
  auto cfg = WriteEmailConfig("{maxAttempts: 3, backoff: {initial: 50ms, max: 200ms}}", dflt);
  const std::string hostile = "<script>alert(\"x\")</script> & Söhne";
  const std::string a = Uuid(1, run_), b = Uuid(2, run_), refused = Uuid(3, run_), inject = Uuid(4, run_);
  const std::string alice = "alice-" + run_ + "@example.com", bob = "bob-" + run_ + "@example.com";
  const std::string victim = "victim-" + run_ + "@example.com";
  ASSERT_EQ(tk::Produce(
                bootstrap_, topic_,
                {{a, Envelope(a, {{"project", hostile}, {"run", run_ + "-a"}}), {}},
                 {b, Envelope(b, {{"project", "checkout"}, {"run", run_ + "-b"}}), {}},
                 {refused,
                  Envelope(refused, {{"project", "checkout"}, {"run", run_ + "-r"}},
                           json::array({"refuse!" + run_ + "@example.com"})),
                  {}},
                 {inject,
                  Envelope(inject, {{"project", "x\r\nBcc: " + victim + "\r\nX-Injected: yes"}, {"run", run_ + "-i"}}),
                  {}}}),
            "");
  // One that names its own recipients: they replace the channel's default.
  ASSERT_EQ(
      tk::Produce(
          bootstrap_, topic_,
          {{Uuid(5, run_),
            Envelope(Uuid(5, run_), {{"project", "per-envelope"}, {"run", run_ + "-e"}}, json::array({alice, bob})),
            {}}}),
      "");
  auto sidecar = StartSidecar(cfg);

  // Non-ASCII subject, decoded back exactly; HTML-escaped values in the HTML
  // part only; a Message-ID made from the globalId; the channel's default
  // recipient when the envelope names none.
  json m = FindMessage(run_ + "-a");
  ASSERT_TRUE(m.is_object()) << sidecar.Log();
  EXPECT_EQ(m["Subject"], "Kontingent überschritten: " + hostile + " (" + run_ + "-a)");
  EXPECT_EQ(m["MessageID"], a + "@herald.dev");
  EXPECT_EQ(m["From"]["Address"], "herald@herald.dev");
  EXPECT_EQ(m["From"]["Name"], "Herald E2E");
  EXPECT_EQ(Addresses(m["To"]), std::set<std::string>{dflt});
  const std::string html = m.value("HTML", "");
  EXPECT_NE(html.find("<b>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Söhne</b>"), std::string::npos)
      << html;
  EXPECT_EQ(html.find("<script>"), std::string::npos) << html;
  EXPECT_NE(m.value("Text", "").find("Projekt " + hostile + " hat 10500 von 10000 verbraucht."), std::string::npos)
      << m.value("Text", "");
  const std::string raw = Get("/message/" + m["ID"].get<std::string>() + "/raw");
  EXPECT_NE(raw.find("Content-Type: multipart/alternative"), std::string::npos) << raw;
  EXPECT_NE(raw.find("Subject: =?UTF-8?"), std::string::npos) << "non-ASCII subject RFC 2047-encoded\n" << raw;

  json e = FindMessage(run_ + "-e");
  ASSERT_TRUE(e.is_object());
  EXPECT_EQ(Addresses(e["To"]), (std::set<std::string>{alice, bob})) << e["To"].dump();
  EXPECT_EQ(FindMessage(run_ + "-b")["To"][0]["Address"], dflt);

  // CR LF in a value that lands in the subject stays inside the subject.
  json i = FindByGlobalId(inject);
  ASSERT_TRUE(i.is_object());
  EXPECT_EQ(i["Subject"], "Kontingent überschritten: x Bcc: " + victim + " X-Injected: yes (" + run_ + "-i)");
  auto headers = json::parse(Get("/message/" + i["ID"].get<std::string>() + "/headers"), nullptr, false);
  ASSERT_TRUE(headers.is_object());
  EXPECT_FALSE(headers.contains("X-Injected")) << headers.dump();
  EXPECT_FALSE(headers.contains("Bcc")) << headers.dump();
  EXPECT_EQ(Addresses(i["To"]), std::set<std::string>{dflt});
  EXPECT_TRUE(Addresses(i["Bcc"]).empty()) << i["Bcc"].dump();
  EXPECT_TRUE(Addresses(i["Cc"]).empty()) << i["Cc"].dump();

  // A recipient the server refuses (Mailpit's --smtp-allowed-recipients
  // rejects '!') is a permanent dead letter, with no retry.
  std::vector<tk::Record> dead;
  ASSERT_TRUE(tk::Eventually([&] { return !(dead = tk::ReadAll(bootstrap_, dlq_)).empty(); }, 30s)) << sidecar.Log();
  ASSERT_EQ(dead.size(), 1u);
  EXPECT_EQ(dead[0].key, refused);
  EXPECT_EQ(dead[0].headers["herald-error-class"], "permanent") << dead[0].headers["herald-error"];
  EXPECT_EQ(dead[0].headers["herald-attempts"], "1");
  EXPECT_NE(dead[0].headers["herald-error"].find("550 "), std::string::npos)
      << "the reason quotes the refusal, not the goodbye after it: " << dead[0].headers["herald-error"];

  EXPECT_EQ(sidecar.Stop(SIGTERM, 30s), 0) << sidecar.Log();
  EXPECT_EQ(tk::GroupLag(bootstrap_, topic_, topic_), 0);
}

}  // namespace
}  // namespace herald
