#include "observability/http_endpoints.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <prometheus/counter.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <random>

namespace herald::observability {
namespace {

size_t Append(char* d, size_t s, size_t n, void* out) {
  static_cast<std::string*>(out)->append(d, s * n);
  return s * n;
}

// Returns the HTTP status (0 when no answer) and fills body.
long Get(const std::string& url, std::string* body) {
  CURL* c = curl_easy_init();
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, Append);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, body);
  curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
  long code = 0;
  if (curl_easy_perform(c) == CURLE_OK) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
  curl_easy_cleanup(c);
  return code;
}

// A port the kernel just handed out, so it is free (outside the stack's ports).
int RandomPort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  int port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  close(fd);
  return port;
}

TEST(ListenUri, ParsesAndRejects) {
  EXPECT_EQ(*ListenUri(":8080"), "http://0.0.0.0:8080/");
  EXPECT_EQ(*ListenUri("127.0.0.1:9"), "http://127.0.0.1:9/");
  for (const char* bad : {"8080", ":http", ":0", ":70000", "host:"}) {
    auto r = ListenUri(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.error().find(bad), std::string::npos) << r.error();
  }
}

TEST(HttpEndpoints, ServesMetricsAndProbesThatFollowTheChecks) {
  auto registry = std::make_shared<prometheus::Registry>();
  auto& family = prometheus::BuildCounter().Name("herald_test_total").Help("test").Register(*registry);
  family.Add({{"outcome", "delivered"}}).Increment(3);
  std::atomic<bool> ready{false};
  int mport = RandomPort(), pport = RandomPort();
  EndpointsConfig cfg;
  cfg.metrics_address = "127.0.0.1:" + std::to_string(mport);
  cfg.probe_address = "127.0.0.1:" + std::to_string(pport);
  cfg.registry = registry;
  cfg.readiness = [&] { return ready ? std::string() : std::string("not in the consumer group yet"); };
  auto ep = StartHttpEndpoints(cfg);
  ASSERT_TRUE(ep.ok()) << ep.error();

  std::string body;
  EXPECT_EQ(Get("http://127.0.0.1:" + std::to_string(mport) + "/metrics", &body), 200);
  EXPECT_NE(body.find("herald_test_total{outcome=\"delivered\"} 3"), std::string::npos) << body;
  body.clear();
  EXPECT_EQ(Get("http://127.0.0.1:" + std::to_string(pport) + "/healthz", &body), 200);
  body.clear();
  EXPECT_EQ(Get("http://127.0.0.1:" + std::to_string(pport) + "/readyz", &body), 503);
  EXPECT_NE(body.find("consumer group"), std::string::npos);
  ready = true;
  body.clear();
  EXPECT_EQ(Get("http://127.0.0.1:" + std::to_string(pport) + "/readyz", &body), 200);
  body.clear();
  EXPECT_EQ(Get("http://127.0.0.1:" + std::to_string(pport) + "/metrics", &body), 404) << "probes port serves metrics";
}

TEST(HttpEndpoints, BusyPortIsAClearError) {
  int port = RandomPort();
  EndpointsConfig cfg;
  cfg.metrics_address = "127.0.0.1:" + std::to_string(port);
  cfg.probe_address = "0";
  cfg.registry = std::make_shared<prometheus::Registry>();
  auto first = StartHttpEndpoints(cfg);
  ASSERT_TRUE(first.ok()) << first.error();
  auto second = StartHttpEndpoints(cfg);
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.error().find(std::to_string(port)), std::string::npos) << second.error();
}

}  // namespace
}  // namespace herald::observability
