#pragma once
// Helpers for the dispatcher's tests against real servers: drive a
// Dispatcher until results arrive, and talk to the servers' control and read
// APIs with plain blocking libcurl.
#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <functional>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "dispatch/dispatcher.h"

namespace herald::dispatch::testing {

// Polls until `n` results arrived or `limit` passed; returns what arrived
// (the caller asserts on the count), keyed by token.
inline std::map<uint64_t, DispatchResult> PollResults(Dispatcher& d, size_t n,
                                                      std::chrono::milliseconds limit = std::chrono::seconds(30)) {
  std::map<uint64_t, DispatchResult> all;
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (all.size() < n && std::chrono::steady_clock::now() < deadline) {
    for (DispatchResult& r : d.Poll(std::chrono::milliseconds(200))) all.emplace(r.token, std::move(r));
  }
  return all;
}

struct HttpReply {
  CURLcode code = CURLE_OK;
  long status = 0;
  std::string body;
};

// One blocking request (method GET unless `body` is given: then POST, or
// `method` when set) with a 10 s timeout.
inline HttpReply HttpCall(const std::string& url, const std::string* body = nullptr, const char* method = nullptr) {
  HttpReply reply;
  CURL* curl = curl_easy_init();
  curl_slist* headers = curl_slist_append(nullptr, "Content-Type: application/json");
  auto append = +[](char* data, size_t size, size_t n, void* out) {
    static_cast<std::string*>(out)->append(data, size * n);
    return size * n;
  };
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, append);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &reply.body);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, 10L);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  if (body != nullptr) {
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body->c_str());
  }
  if (method != nullptr) curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
  reply.code = curl_easy_perform(curl);
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &reply.status);
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
  return reply;
}

// Returns `text` percent-encoded for a query string.
inline std::string UrlEncode(const std::string& text) {
  char* escaped = curl_easy_escape(nullptr, text.c_str(), static_cast<int>(text.size()));
  std::string out = escaped != nullptr ? escaped : "";
  curl_free(escaped);
  return out;
}

// Calls `probe` every 100 ms until it returns true or `limit` passes; returns
// whether it did.
inline bool Eventually(const std::function<bool()>& probe, std::chrono::milliseconds limit = std::chrono::seconds(20)) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (!probe()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return true;
}

// Returns a port on 127.0.0.1 that nothing listens on: bound by the kernel's
// choice, then closed (another process could take it meanwhile; unlikely).
inline uint16_t ClosedPort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  bind(fd, reinterpret_cast<sockaddr*>(&addr), len);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

// Returns 16 random hex digits for names that must not collide between runs.
inline std::string UniqueId() {
  std::random_device rd;
  char buf[17];
  std::snprintf(buf, sizeof buf, "%08x%08x", rd(), rd());
  return buf;
}

}  // namespace herald::dispatch::testing
