// CurlDispatcher against the webhook sink fixture (e2e/fixtures/webhook_sink.py,
// a real HTTP/1.1 keep-alive server), started here on a free port: statuses,
// Retry-After, timeouts, dropped connections, connection reuse and the
// concurrency bound.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "dispatch/curl_dispatcher.h"
#include "dispatch/stack_test_util.h"
#include "dispatch/webhook_signature.h"

extern char** environ;

namespace herald::dispatch {
namespace {

using std::chrono::milliseconds;
using testing::Eventually;
using testing::HttpCall;
using testing::PollResults;
using testing::UniqueId;
using Json = nlohmann::json;

// The sink as a child process, for the whole test suite.
class SinkProcess {
 public:
  // Starts the sink on a free port and waits (with a deadline) for its port
  // file. Returns false, after recording a test failure, when it does not come up.
  bool Start() {
    dir_ = std::filesystem::temp_directory_path() / ("herald-sink-" + UniqueId());
    std::filesystem::create_directories(dir_);
    const std::string port_file = (dir_ / "port").string();
    const std::string log = (dir_ / "sink.log").string();
    std::vector<std::string> args = {HERALD_PYTHON3, HERALD_WEBHOOK_SINK, "--port", "0", "--port-file", port_file};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int rc = posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) {
      ADD_FAILURE() << "cannot start " << HERALD_PYTHON3 << " " << HERALD_WEBHOOK_SINK << ": " << strerror(rc);
      pid_ = -1;
      return false;
    }
    bool up = Eventually(
        [&] {
          std::ifstream in(port_file);
          return static_cast<bool>(in >> port_) && port_ > 0;
        },
        std::chrono::seconds(20));
    if (!up) ADD_FAILURE() << "the webhook sink did not write " << port_file << "; its log: " << log;
    return up;
  }

  // Stops the sink with SIGTERM and reaps it.
  void Stop() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      int status = 0;
      waitpid(pid_, &status, 0);
      pid_ = -1;
    }
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  std::string base() const { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  pid_t pid_ = -1;
  int port_ = 0;
  std::filesystem::path dir_;
};

class HttpStackTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    sink_ = new SinkProcess;
    sink_up_ = sink_->Start();
  }
  static void TearDownTestSuite() {
    sink_->Stop();
    delete sink_;
    sink_ = nullptr;
  }

  void SetUp() override {
    ASSERT_TRUE(sink_up_) << "the webhook sink is not running";
    // Each test has its own paths; a reset keeps a failed test's rules from
    // leaking into the next one.
    std::string reset = "{}";
    ASSERT_EQ(HttpCall(sink_->base() + "/_control/reset", &reset).status, 200);
    path_ = "/hook/" + UniqueId();
  }

  static std::unique_ptr<CurlDispatcher> MakeDispatcher(size_t max_in_flight, size_t max_connections = 0) {
    CurlDispatcherOptions options;
    options.max_in_flight = max_in_flight;
    options.max_connections = max_connections;
    auto d = CurlDispatcher::Create(options);
    EXPECT_TRUE(d.ok()) << (d.ok() ? "" : d.error());
    return d.ok() ? std::move(d.value()) : nullptr;
  }

  DispatchRequest Post(uint64_t token, milliseconds timeout = milliseconds(10000)) const {
    HttpPost post;
    post.url = sink_->base() + path_;
    post.headers = {{"X-Team", "a"}};
    post.body = R"({"token":)" + std::to_string(token) + "}";
    return DispatchRequest{token, timeout, std::move(post)};
  }

  // Queues sink rules (one object or an array); see e2e/fixtures/README.md.
  void Behave(const Json& rules) const {
    std::string body = rules.dump();
    auto reply = HttpCall(sink_->base() + "/_control/behaviour", &body);
    ASSERT_EQ(reply.status, 200) << reply.body;
  }

  // Returns the sink's records for this test's path.
  Json Records() const {
    auto reply = HttpCall(sink_->base() + "/_control/requests?path=" + path_);
    Json doc = Json::parse(reply.body, nullptr, false);
    return doc.is_object() ? doc["requests"] : Json::array();
  }

  // Runs one request on `d` and returns its result.
  static DispatchResult RunOne(Dispatcher& d, DispatchRequest request) {
    EXPECT_TRUE(d.Submit(std::move(request)));
    auto results = PollResults(d, 1);
    if (results.size() != 1) {
      ADD_FAILURE() << "no result within the deadline";
      DispatchResult none;
      none.transport = TransportError::kOther;
      return none;
    }
    return std::move(results.begin()->second);
  }

  static SinkProcess* sink_;
  static bool sink_up_;
  std::string path_;
};

SinkProcess* HttpStackTest::sink_ = nullptr;
bool HttpStackTest::sink_up_ = false;

TEST_F(HttpStackTest, Delivered200WithHeadersAndBodyAsSent) {
  auto d = MakeDispatcher(4);
  ASSERT_TRUE(d);
  DispatchResult r = RunOne(*d, Post(42));
  EXPECT_EQ(r.token, 42u);
  EXPECT_EQ(r.transport, TransportError::kNone) << r.transport_detail;
  EXPECT_EQ(r.curl_code, 0);
  EXPECT_EQ(r.http_status, 200);
  EXPECT_EQ(r.body, R"({"ok":true})");
  EXPECT_FALSE(r.retry_after.has_value());
  EXPECT_EQ(r.connects, 1);

  Json records = Records();
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0]["method"], "POST");
  EXPECT_EQ(records[0]["body"], R"({"token":42})");
  EXPECT_EQ(records[0]["headers"]["x-team"], "a");
  EXPECT_EQ(records[0]["headers"]["content-type"], "application/json");
  EXPECT_EQ(records[0]["headers"]["user-agent"], "herald-sidecar");
}

// Finished transfers' easy handles are reset and reused: nothing of one
// request (headers, body, URL) may reach the next one.
TEST_F(HttpStackTest, ReusedHandleCarriesNothingOfThePreviousRequest) {
  auto d = MakeDispatcher(1);
  ASSERT_TRUE(d);
  DispatchRequest first = Post(1);
  std::get<HttpPost>(first.payload).headers = {{"X-Only-First", "yes"}};
  std::get<HttpPost>(first.payload).body = std::string(5000, 'x');
  ASSERT_EQ(RunOne(*d, std::move(first)).http_status, 200);
  DispatchRequest second = Post(2);
  std::get<HttpPost>(second.payload).headers.clear();
  DispatchResult r = RunOne(*d, std::move(second));
  EXPECT_EQ(r.http_status, 200);
  EXPECT_EQ(r.connects, 0) << "the kept-alive connection is reused";

  Json records = Records();
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[1]["body"], R"({"token":2})");
  EXPECT_FALSE(records[1]["headers"].contains("x-only-first")) << records[1].dump();
  EXPECT_FALSE(records[1]["headers"].contains("x-team")) << records[1].dump();
  EXPECT_EQ(records[1]["headers"]["content-type"], "application/json");
}

TEST_F(HttpStackTest, SlackPersonaAnswersOk) {
  auto d = MakeDispatcher(1);
  ASSERT_TRUE(d);
  DispatchRequest request = Post(1);
  std::get<HttpPost>(request.payload).url = sink_->base() + "/slack/" + UniqueId();
  std::get<HttpPost>(request.payload).body = R"({"text":"Quota exceeded for checkout"})";
  DispatchResult r = RunOne(*d, std::move(request));
  EXPECT_EQ(r.http_status, 200);
  EXPECT_EQ(r.body, "ok");
}

TEST_F(HttpStackTest, SignedWebhookVerifiesAtTheReceiver) {
  const std::string secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
  std::string set_secret = Json{{"path", path_}, {"secret", secret}}.dump();
  ASSERT_EQ(HttpCall(sink_->base() + "/_control/secret", &set_secret).status, 200);
  auto signer = WebhookSigner::Create(secret);
  ASSERT_TRUE(signer.ok()) << signer.error();
  DispatchRequest request = Post(1);
  auto& post = std::get<HttpPost>(request.payload);
  auto headers = signer->Headers("0b7c4e0e-6a51-4d1c-9a39-3f1b2f7e8a10", std::chrono::system_clock::now(), post.body);
  ASSERT_TRUE(headers.ok()) << headers.error();
  post.headers.emplace_back(kWebhookIdHeader, headers->id);
  post.headers.emplace_back(kWebhookTimestampHeader, headers->timestamp);
  post.headers.emplace_back(kWebhookSignatureHeader, headers->signature);

  auto d = MakeDispatcher(1);
  ASSERT_TRUE(d);
  DispatchResult r = RunOne(*d, std::move(request));
  EXPECT_EQ(r.http_status, 200) << r.body;
  Json records = Records();
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0]["signatureValid"], true);
}

TEST_F(HttpStackTest, TooManyRequestsSurfacesRetryAfter) {
  Behave(Json::array({{{"path", path_}, {"mode", "status"}, {"status", 429}, {"retryAfter", 7}, {"count", 1}},
                      {{"path", path_},
                       {"mode", "status"},
                       {"status", 429},
                       {"retryAfter", "Wed, 21 Oct 2026 07:28:00 GMT"},
                       {"count", 1}}}));
  auto d = MakeDispatcher(1);
  ASSERT_TRUE(d);
  DispatchResult seconds = RunOne(*d, Post(1));
  EXPECT_EQ(seconds.transport, TransportError::kNone) << seconds.transport_detail;
  EXPECT_EQ(seconds.http_status, 429);
  EXPECT_EQ(seconds.retry_after.value_or("<none>"), "7");
  DispatchResult date = RunOne(*d, Post(2));
  EXPECT_EQ(date.http_status, 429);
  EXPECT_EQ(date.retry_after.value_or("<none>"), "Wed, 21 Oct 2026 07:28:00 GMT");
  EXPECT_EQ(date.connects, 0) << "a 429 keeps the connection";
}

TEST_F(HttpStackTest, ServiceUnavailableWithBody) {
  Behave({{"path", path_}, {"mode", "status"}, {"status", 503}, {"body", "down for maintenance"}, {"count", 1}});
  auto d = MakeDispatcher(1);
  ASSERT_TRUE(d);
  DispatchResult r = RunOne(*d, Post(1));
  EXPECT_EQ(r.transport, TransportError::kNone) << r.transport_detail;
  EXPECT_EQ(r.http_status, 503);
  EXPECT_EQ(r.body, "down for maintenance");
  EXPECT_FALSE(r.retry_after.has_value());
}

TEST_F(HttpStackTest, SlowerThanTheTimeoutIsTimeout) {
  Behave({{"path", path_}, {"mode", "slow"}, {"delayMs", 3000}, {"count", 1}});
  auto d = MakeDispatcher(1);
  ASSERT_TRUE(d);
  DispatchResult r = RunOne(*d, Post(1, milliseconds(500)));
  EXPECT_EQ(r.transport, TransportError::kTimeout) << r.transport_detail;
  EXPECT_EQ(r.curl_code, CURLE_OPERATION_TIMEDOUT);
  EXPECT_EQ(r.http_status, 0);
  EXPECT_GE(r.latency, milliseconds(490));  // libcurl's timers have millisecond granularity
  EXPECT_LT(r.latency, milliseconds(2500));
}

TEST_F(HttpStackTest, DroppedConnectionIsRecvError) {
  Behave({{"path", path_}, {"mode", "close"}, {"count", 1}});
  auto d = MakeDispatcher(1);
  ASSERT_TRUE(d);
  DispatchResult r = RunOne(*d, Post(1));
  EXPECT_EQ(r.transport, TransportError::kConnectionLost) << r.curl_code << " " << r.transport_detail;
  EXPECT_EQ(r.curl_code, CURLE_GOT_NOTHING);
  EXPECT_EQ(r.http_status, 0);
}

// libcurl resends a request once on a fresh connection when a reused one
// dies before any response byte (the server may have closed it while idle).
// The receiver then sees the request twice: at-least-once, as designed.
TEST_F(HttpStackTest, DroppedReusedConnectionIsRetriedOnceByLibcurl) {
  auto d = MakeDispatcher(1);
  ASSERT_TRUE(d);
  ASSERT_EQ(RunOne(*d, Post(1)).http_status, 200);
  Behave({{"path", path_}, {"mode", "close"}, {"count", 1}});
  DispatchResult r = RunOne(*d, Post(2));
  EXPECT_EQ(r.transport, TransportError::kNone) << r.transport_detail;
  EXPECT_EQ(r.http_status, 200);
  EXPECT_EQ(r.connects, 1);
  EXPECT_EQ(Records().size(), 3u);
}

TEST_F(HttpStackTest, ClosedPortIsConnectFailed) {
  auto d = MakeDispatcher(1);
  ASSERT_TRUE(d);
  DispatchRequest request = Post(1);
  std::get<HttpPost>(request.payload).url = "http://127.0.0.1:" + std::to_string(testing::ClosedPort()) + "/hook";
  DispatchResult r = RunOne(*d, std::move(request));
  EXPECT_EQ(r.transport, TransportError::kConnectFailed) << r.transport_detail;
}

TEST_F(HttpStackTest, RedirectsAreNotFollowed) {
  Behave({{"path", path_},
          {"mode", "status"},
          {"status", 302},
          {"headers", {{"Location", sink_->base() + "/hook/elsewhere"}}},
          {"count", 1}});
  auto d = MakeDispatcher(1);
  ASSERT_TRUE(d);
  DispatchResult r = RunOne(*d, Post(1));
  EXPECT_EQ(r.http_status, 302);
  std::string query = sink_->base() + "/_control/requests?path=/hook/elsewhere";
  EXPECT_EQ(Json::parse(HttpCall(query).body)["count"], 0);
}

TEST_F(HttpStackTest, LargeBodyWithoutExpectAndCappedResponse) {
  Behave({{"path", path_}, {"mode", "status"}, {"status", 200}, {"body", std::string(10000, 'x')}, {"count", 1}});
  auto d = MakeDispatcher(1);
  ASSERT_TRUE(d);
  DispatchRequest request = Post(1);
  // libcurl 7.88 adds "Expect: 100-continue" to POSTs over 1 MiB, and then
  // waits up to a second for the server's go-ahead.
  std::get<HttpPost>(request.payload).body = R"({"pad":")" + std::string(2000000, 'p') + R"("})";
  DispatchResult r = RunOne(*d, std::move(request));
  EXPECT_EQ(r.http_status, 200);
  EXPECT_EQ(r.body.size(), 4096u);
  EXPECT_TRUE(r.body_truncated);
  Json records = Records();
  ASSERT_EQ(records.size(), 1u);
  EXPECT_FALSE(records[0]["headers"].contains("expect")) << records[0]["headers"];
  EXPECT_EQ(records[0]["bodySize"], 2000010);
  // The whole oversized body was read, so the connection is reused.
  EXPECT_EQ(RunOne(*d, Post(2)).connects, 0);
}

// 100 requests in flight at once over at most 10 connections: libcurl queues
// the rest until a kept-alive connection frees up.
TEST_F(HttpStackTest, HundredConcurrentRequestsReuseConnections) {
  constexpr uint64_t kRequests = 100;
  constexpr size_t kConnections = 10;
  auto d = MakeDispatcher(kRequests, kConnections);
  ASSERT_TRUE(d);
  for (uint64_t i = 0; i < kRequests; ++i) ASSERT_TRUE(d->Submit(Post(i)));
  EXPECT_EQ(d->in_flight(), kRequests);
  auto results = PollResults(*d, kRequests);
  ASSERT_EQ(results.size(), kRequests);
  long connects = 0;
  for (const auto& [token, r] : results) {
    EXPECT_EQ(r.http_status, 200) << token << ": " << r.transport_detail;
    connects += r.connects;
  }
  std::set<int> server_connections;
  for (const Json& rec : Records()) server_connections.insert(rec["connection"].get<int>());
  EXPECT_LE(connects, static_cast<long>(kConnections));
  EXPECT_EQ(server_connections.size(), static_cast<size_t>(connects));
  std::cout << "[ info     ] " << kRequests << " requests, " << connects << " connects, " << server_connections.size()
            << " connections seen by the sink\n";

  // A second wave reuses what the first opened.
  for (uint64_t i = kRequests; i < 2 * kRequests; ++i) ASSERT_TRUE(d->Submit(Post(i)));
  auto second = PollResults(*d, kRequests);
  ASSERT_EQ(second.size(), kRequests);
  long second_connects = 0;
  for (const auto& [token, r] : second) second_connects += r.connects;
  EXPECT_EQ(second_connects, 0);
}

// With every answer slow, the sink never has more requests open at once than
// the dispatcher's capacity, and Submit says no at the bound.
TEST_F(HttpStackTest, ConcurrencyIsBounded) {
  constexpr size_t kCapacity = 8;
  constexpr uint64_t kRequests = 40;
  Behave({{"path", path_}, {"mode", "slow"}, {"delayMs", 200}});
  auto d = MakeDispatcher(kCapacity);
  ASSERT_TRUE(d);
  uint64_t next = 0;
  size_t done = 0;
  size_t refusals = 0;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (done < kRequests && std::chrono::steady_clock::now() < deadline) {
    while (next < kRequests) {
      if (!d->Submit(Post(next))) {
        ++refusals;
        break;
      }
      ++next;
    }
    EXPECT_LE(d->in_flight(), kCapacity);
    for (const DispatchResult& r : d->Poll(milliseconds(500))) {
      EXPECT_EQ(r.http_status, 200) << r.token << ": " << r.transport_detail;
      ++done;
    }
  }
  ASSERT_EQ(done, kRequests);
  EXPECT_GT(refusals, 0u);

  // The records' [arrival, arrival + handling] intervals never overlap more
  // than kCapacity deep.
  std::vector<std::pair<double, int>> edges;
  std::set<int> connections;
  for (const Json& rec : Records()) {
    double start = rec["time"].get<double>();
    edges.emplace_back(start, +1);
    edges.emplace_back(start + rec["durationMs"].get<double>() / 1000.0, -1);
    connections.insert(rec["connection"].get<int>());
  }
  std::sort(edges.begin(), edges.end());  // an end before a start at the same instant
  int open = 0;
  int peak = 0;
  for (const auto& [t, delta] : edges) peak = std::max(peak, open += delta);
  EXPECT_LE(peak, static_cast<int>(kCapacity));
  EXPECT_GE(peak, static_cast<int>(kCapacity) / 2) << "the requests should actually overlap";
  EXPECT_LE(connections.size(), kCapacity);
  std::cout << "[ info     ] peak " << peak << " requests open at the sink, " << connections.size() << " connections, "
            << refusals << " refused submits\n";
  Behave({{"path", path_}, {"mode", "ok"}});
}

}  // namespace
}  // namespace herald::dispatch
