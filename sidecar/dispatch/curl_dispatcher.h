#pragma once
// CurlDispatcher: the Dispatcher on one libcurl multi handle. Many transfers
// run on the calling thread; finished connections stay open in the multi
// handle's connection cache and are reused by later transfers to the same
// host (HTTP/1.1 keep-alive; SMTP sessions too, which then skip EHLO,
// STARTTLS and AUTH).
//
// It drives libcurl through the socket interface (curl_multi_socket_action
// on an epoll set, libcurl's "hiperfifo" pattern), not curl_multi_perform +
// curl_multi_poll: in libcurl 7.88 each of those walks every transfer in
// the multi handle, so with 64 in flight every finished request cost two
// scans of all 64 (about half the sidecar's CPU per message). With the
// socket interface libcurl only touches the transfer whose socket is ready.
//
// Every transfer: TLS peer and host verification on, redirects not followed,
// only http/https (POST) or smtp/smtps (SMTP) URLs, TCP keep-alive probes, no
// signals (CURLOPT_NOSIGNAL: safe with threads), the request's timeout for
// the whole attempt. Proxies come from the usual environment variables
// (https_proxy, no_proxy, ...), as in any libcurl program.
#include <curl/curl.h>

#include <atomic>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "dispatch/dispatcher.h"
#include "herald/result.h"

namespace herald::dispatch {

struct CurlDispatcherOptions {
  // Requests in flight at once (the channel's delivery.concurrency).
  size_t max_in_flight = 64;
  // Open connections at once, in use or idle (CURLMOPT_MAX_TOTAL_CONNECTIONS,
  // and the same per host). 0: max_in_flight. A smaller value makes requests
  // queue inside libcurl for a free connection, and that wait counts against
  // their timeout.
  size_t max_connections = 0;
  // Response bodies beyond this are read and dropped.
  size_t max_body_bytes = 4096;
  std::string user_agent = "herald-sidecar";
};

struct Transfer;  // one request in flight; transfer.h

struct EasyDeleter {
  void operator()(CURL* easy) const noexcept { curl_easy_cleanup(easy); }
};
using EasyPtr = std::unique_ptr<CURL, EasyDeleter>;

class CurlDispatcher final : public Dispatcher {
 public:
  // Returns a dispatcher, or an Error when max_in_flight is 0 or libcurl
  // cannot initialise (curl_global_init, curl_multi_init or a multi option
  // fails; e.g. out of memory), or the epoll set or eventfd cannot be made.
  [[nodiscard]] static Result<std::unique_ptr<CurlDispatcher>> Create(const CurlDispatcherOptions& options);

  // Aborts transfers still in flight (their results are never reported) and
  // closes every connection.
  ~CurlDispatcher() override;
  CurlDispatcher(const CurlDispatcher&) = delete;
  CurlDispatcher& operator=(const CurlDispatcher&) = delete;

  // See Dispatcher. Out of memory terminates the process (these are
  // noexcept): at-least-once delivery makes a restart the safe recovery.
  [[nodiscard]] bool Submit(DispatchRequest&& request) noexcept override;
  [[nodiscard]] std::vector<DispatchResult> Poll(std::chrono::milliseconds max_wait) noexcept override;
  void Wakeup() noexcept override;
  [[nodiscard]] size_t in_flight() const noexcept override { return running_.size() + finished_.size(); }
  [[nodiscard]] size_t capacity() const noexcept override { return options_.max_in_flight; }

 private:
  CurlDispatcher(const CurlDispatcherOptions& options, CURLM* multi, int epoll_fd, int wake_fd);
  // libcurl's socket callback: keeps the epoll set equal to the sockets
  // libcurl wants watched, for the directions it wants.
  static int OnSocket(CURL* easy, curl_socket_t s, int what, void* self, void* socket_data) noexcept;
  // libcurl's timer callback: when curl_multi_socket_action(TIMEOUT) is due.
  static int OnTimer(CURLM* multi, long timeout_ms, void* self) noexcept;
  // Moves every finished transfer's result into finished_.
  void Harvest();
  // Runs libcurl's due timeouts (and transfers just added); false when the
  // multi handle reports an error (only on misuse or out of memory).
  bool RunTimers();
  // Waits up to `wait` for socket activity or a wakeup and hands every ready
  // socket to libcurl; false on a multi handle error.
  bool WaitForSockets(std::chrono::milliseconds wait);

  CurlDispatcherOptions options_;
  CURLM* multi_;
  int epoll_fd_;
  int wake_fd_;  // eventfd in the epoll set: Wakeup from other threads
  // When libcurl wants curl_multi_socket_action(CURL_SOCKET_TIMEOUT); unset:
  // no timer.
  std::optional<std::chrono::steady_clock::time_point> timer_due_;
  std::unordered_map<CURL*, std::unique_ptr<Transfer>> running_;
  // Easy handles of finished transfers, reset and reused by the next ones
  // (curl_easy_init + cleanup per request was ~6% of the sidecar's CPU at
  // full speed); at most max_in_flight.
  std::vector<EasyPtr> idle_easy_;
  std::vector<DispatchResult> finished_;  // done, not yet returned by Poll
  // SMTP URL -> the SmtpTrustKey whose connections may be cached for it (the
  // first seen). libcurl would hand an smtp:// connection verified with one
  // CA file to a transfer configured with another; requests with a different
  // key get a connection of their own instead. One entry per endpoint.
  std::unordered_map<std::string, std::string> smtp_trust_owner_;
  std::atomic<bool> woken_{false};
};

}  // namespace herald::dispatch
