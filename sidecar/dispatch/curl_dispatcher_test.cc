// CurlDispatcher without a real server: only 127.0.0.1 sockets the test owns
// (a closed port, a listener that never answers). Real servers: *_stack_test.
#include "dispatch/curl_dispatcher.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <thread>

namespace herald::dispatch {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

// A TCP socket on 127.0.0.1 that listens but never accepts: the kernel
// completes connects into the backlog, so clients connect, send, and then
// wait for a reply that never comes.
class SilentListener {
 public:
  SilentListener() {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&addr), len), 0);
    EXPECT_EQ(listen(fd_, 128), 0);
    EXPECT_EQ(getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len), 0);
    port_ = ntohs(addr.sin_port);
  }
  ~SilentListener() { close(fd_); }
  uint16_t port() const { return port_; }

 private:
  int fd_ = -1;
  uint16_t port_ = 0;
};

// Returns a port on 127.0.0.1 that nothing listens on (bound, then closed).
uint16_t ClosedPort() {
  uint16_t port;
  {
    SilentListener l;
    port = l.port();
  }
  return port;
}

std::unique_ptr<CurlDispatcher> MakeDispatcher(size_t max_in_flight) {
  CurlDispatcherOptions options;
  options.max_in_flight = max_in_flight;
  auto d = CurlDispatcher::Create(options);
  EXPECT_TRUE(d.ok()) << (d.ok() ? "" : d.error());
  return d.ok() ? std::move(d.value()) : nullptr;
}

DispatchRequest Post(uint64_t token, std::string url, milliseconds timeout = milliseconds(5000)) {
  HttpPost post;
  post.url = std::move(url);
  post.body = R"({"text":"hi"})";
  return DispatchRequest{token, timeout, std::move(post)};
}

// Polls until `n` results arrived or 10 s passed.
std::vector<DispatchResult> PollFor(Dispatcher& d, size_t n) {
  std::vector<DispatchResult> all;
  auto deadline = Clock::now() + std::chrono::seconds(10);
  while (all.size() < n && Clock::now() < deadline) {
    for (auto& r : d.Poll(milliseconds(200))) all.push_back(std::move(r));
  }
  return all;
}

TEST(CurlDispatcher, CreateRejectsZeroCapacity) {
  CurlDispatcherOptions options;
  options.max_in_flight = 0;
  EXPECT_FALSE(CurlDispatcher::Create(options).ok());
}

TEST(CurlDispatcher, ClosedPortIsConnectFailed) {
  auto d = MakeDispatcher(4);
  ASSERT_TRUE(d);
  ASSERT_TRUE(d->Submit(Post(7, "http://127.0.0.1:" + std::to_string(ClosedPort()) + "/hook")));
  auto results = PollFor(*d, 1);
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].token, 7u);
  EXPECT_EQ(results[0].transport, TransportError::kConnectFailed) << results[0].transport_detail;
  EXPECT_EQ(results[0].curl_code, CURLE_COULDNT_CONNECT);
  EXPECT_FALSE(results[0].transport_detail.empty());
  EXPECT_EQ(results[0].http_status, 0);
  EXPECT_EQ(d->in_flight(), 0u);
}

TEST(CurlDispatcher, SilentServerIsTimeout) {
  SilentListener server;
  auto d = MakeDispatcher(4);
  ASSERT_TRUE(d);
  auto start = Clock::now();
  ASSERT_TRUE(d->Submit(Post(1, "http://127.0.0.1:" + std::to_string(server.port()) + "/", milliseconds(300))));
  auto results = PollFor(*d, 1);
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].transport, TransportError::kTimeout) << results[0].transport_detail;
  // libcurl's timers have millisecond granularity: allow it to fire a little early.
  EXPECT_GE(Clock::now() - start, milliseconds(290));
  EXPECT_GE(results[0].latency, milliseconds(290));
  EXPECT_LT(results[0].latency, milliseconds(3000));
}

TEST(CurlDispatcher, InvalidRequestsComeBackAsResults) {
  auto d = MakeDispatcher(8);
  ASSERT_TRUE(d);
  DispatchRequest injected = Post(1, "http://127.0.0.1:1/");
  std::get<HttpPost>(injected.payload).headers = {{"X-A", "b\r\nX-Injected: 1"}};
  ASSERT_TRUE(d->Submit(std::move(injected)));
  // Only http and https: a URL from a Secret must not read local files.
  ASSERT_TRUE(d->Submit(Post(2, "file:///etc/passwd")));
  ASSERT_TRUE(d->Submit(Post(3, "http://127.0.0.1:1/", milliseconds(0))));
  SmtpSend smtp;
  smtp.host = "127.0.0.1";
  smtp.mail_from = "herald@example.com";
  smtp.recipients = {"ops@example.com>\r\nRCPT TO:<victim@example.com"};
  ASSERT_TRUE(d->Submit(DispatchRequest{4, milliseconds(1000), smtp}));
  EXPECT_EQ(d->in_flight(), 4u);

  auto results = PollFor(*d, 4);
  ASSERT_EQ(results.size(), 4u);
  for (const DispatchResult& r : results) {
    EXPECT_EQ(r.transport, TransportError::kBadRequest) << r.token << ": " << r.transport_detail;
    EXPECT_FALSE(r.transport_detail.empty());
  }
  EXPECT_EQ(d->in_flight(), 0u);
}

TEST(CurlDispatcher, SubmitRefusesAtCapacityAndKeepsTheRequest) {
  SilentListener server;
  std::string url = "http://127.0.0.1:" + std::to_string(server.port()) + "/";
  auto d = MakeDispatcher(2);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->capacity(), 2u);
  ASSERT_TRUE(d->Submit(Post(1, url, milliseconds(400))));
  ASSERT_TRUE(d->Submit(Post(2, url, milliseconds(400))));
  DispatchRequest third = Post(3, url, milliseconds(400));
  EXPECT_FALSE(d->Submit(std::move(third)));
  EXPECT_EQ(third.token, 3u);  // untouched: the caller still has it
  EXPECT_EQ(std::get<HttpPost>(third.payload).url, url);
  EXPECT_EQ(d->in_flight(), 2u);

  auto results = PollFor(*d, 2);  // both time out
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(d->in_flight(), 0u);
  EXPECT_TRUE(d->Submit(std::move(third)));
  EXPECT_EQ(PollFor(*d, 1).size(), 1u);
}

TEST(CurlDispatcher, PollWaitsWhenIdle) {
  auto d = MakeDispatcher(1);
  ASSERT_TRUE(d);
  auto start = Clock::now();
  EXPECT_TRUE(d->Poll(milliseconds(150)).empty());
  EXPECT_GE(Clock::now() - start, milliseconds(140));
}

TEST(CurlDispatcher, WakeupInterruptsPollFromAnotherThread) {
  SilentListener server;
  auto d = MakeDispatcher(1);
  ASSERT_TRUE(d);
  ASSERT_TRUE(d->Submit(Post(1, "http://127.0.0.1:" + std::to_string(server.port()) + "/", milliseconds(30000))));
  auto start = Clock::now();
  std::thread waker([&] {
    // Not synchronisation: the result is the same if Wakeup comes first (see
    // the next test); the pause only makes it likely Poll is already waiting.
    std::this_thread::sleep_for(milliseconds(100));
    d->Wakeup();
  });
  auto results = d->Poll(milliseconds(20000));
  auto waited = Clock::now() - start;
  waker.join();
  EXPECT_TRUE(results.empty());
  EXPECT_LT(waited, std::chrono::seconds(5));
  EXPECT_EQ(d->in_flight(), 1u);
}

TEST(CurlDispatcher, WakeupBeforePollMakesTheNextPollReturn) {
  auto d = MakeDispatcher(1);
  ASSERT_TRUE(d);
  d->Wakeup();
  auto start = Clock::now();
  EXPECT_TRUE(d->Poll(milliseconds(20000)).empty());
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(5));
}

TEST(CurlDispatcher, DestroyWithTransfersInFlight) {
  SilentListener server;
  auto d = MakeDispatcher(4);
  ASSERT_TRUE(d);
  for (uint64_t i = 0; i < 4; ++i) {
    ASSERT_TRUE(d->Submit(Post(i, "http://127.0.0.1:" + std::to_string(server.port()) + "/")));
  }
  EXPECT_TRUE(d->Poll(milliseconds(50)).empty());
  d.reset();  // must not leak or crash (run under ASan: make build-asan)
}

}  // namespace
}  // namespace herald::dispatch
