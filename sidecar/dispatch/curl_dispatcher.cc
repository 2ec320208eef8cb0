#include "dispatch/curl_dispatcher.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <climits>
#include <cstring>
#include <mutex>
#include <variant>

#include "dispatch/curl_setup.h"
#include "dispatch/transfer.h"

namespace herald::dispatch {
namespace {

// Returns CURLE_OK once libcurl is initialised for the process. Never cleaned
// up: other libraries in the process may use libcurl too.
CURLcode GlobalInit() {
  static std::once_flag once;
  static CURLcode code = CURLE_OK;
  std::call_once(once, [] { code = curl_global_init(CURL_GLOBAL_DEFAULT); });
  return code;
}

}  // namespace

Result<std::unique_ptr<CurlDispatcher>> CurlDispatcher::Create(const CurlDispatcherOptions& options) {
  if (options.max_in_flight == 0) return Error{"max_in_flight must be at least 1"};
  if (CURLcode code = GlobalInit(); code != CURLE_OK) {
    return Error{std::string("curl_global_init: ") + curl_easy_strerror(code)};
  }
  CURLM* multi = curl_multi_init();
  if (multi == nullptr) return Error{"curl_multi_init failed"};
  int epoll_fd = epoll_create1(EPOLL_CLOEXEC);
  int wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  // From here the dispatcher owns the three and its destructor frees them.
  std::unique_ptr<CurlDispatcher> d(new CurlDispatcher(options, multi, epoll_fd, wake_fd));
  if (epoll_fd < 0 || wake_fd < 0) return Error{std::string("epoll/eventfd: ") + std::strerror(errno)};
  epoll_event wake{};
  wake.events = EPOLLIN;
  wake.data.fd = wake_fd;
  if (epoll_ctl(epoll_fd, EPOLL_CTL_ADD, wake_fd, &wake) != 0) {
    return Error{std::string("epoll_ctl: ") + std::strerror(errno)};
  }
  auto connections = static_cast<long>(options.max_connections != 0 ? options.max_connections : options.max_in_flight);
  auto set = [&](CURLMoption option, auto value) -> Status {
    if (CURLMcode mc = curl_multi_setopt(multi, option, value); mc != CURLM_OK) {
      return Error{std::string("curl_multi_setopt: ") + curl_multi_strerror(mc)};
    }
    return OkStatus();
  };
  // One cap for open connections overall and per host (a channel talks to
  // one host), and a cache of the same size so idle kept-alive connections
  // are not closed while the channel still has work for them.
  for (CURLMoption option : {CURLMOPT_MAX_TOTAL_CONNECTIONS, CURLMOPT_MAX_HOST_CONNECTIONS, CURLMOPT_MAXCONNECTS}) {
    if (auto st = set(option, connections); !st.ok()) return Error{st.error()};
  }
  for (auto st : {set(CURLMOPT_SOCKETFUNCTION, &CurlDispatcher::OnSocket), set(CURLMOPT_SOCKETDATA, d.get()),
                  set(CURLMOPT_TIMERFUNCTION, &CurlDispatcher::OnTimer), set(CURLMOPT_TIMERDATA, d.get())}) {
    if (!st.ok()) return Error{st.error()};
  }
  return d;
}

CurlDispatcher::CurlDispatcher(const CurlDispatcherOptions& options, CURLM* multi, int epoll_fd, int wake_fd)
    : options_(options), multi_(multi), epoll_fd_(epoll_fd), wake_fd_(wake_fd) {}

CurlDispatcher::~CurlDispatcher() {
  // Easy handles leave the multi handle before either is freed, as libcurl
  // requires; the Transfers (and their easy handles) go with running_. The
  // epoll set outlives the multi handle, whose cleanup still reports sockets.
  for (auto& [easy, transfer] : running_) curl_multi_remove_handle(multi_, easy);
  running_.clear();
  curl_multi_cleanup(multi_);
  if (wake_fd_ >= 0) close(wake_fd_);
  if (epoll_fd_ >= 0) close(epoll_fd_);
}

int CurlDispatcher::OnSocket(CURL*, curl_socket_t s, int what, void* self, void*) noexcept {
  int epoll_fd = static_cast<CurlDispatcher*>(self)->epoll_fd_;
  if (what == CURL_POLL_REMOVE) {
    // libcurl may report a socket it already closed: ENOENT/EBADF are fine.
    (void)epoll_ctl(epoll_fd, EPOLL_CTL_DEL, s, nullptr);
    return 0;
  }
  epoll_event ev{};
  ev.events = ((what & CURL_POLL_IN) != 0 ? EPOLLIN : 0u) | ((what & CURL_POLL_OUT) != 0 ? EPOLLOUT : 0u);
  ev.data.fd = s;
  // MOD first: most calls change a socket libcurl already reported. A socket
  // number reused after a close libcurl did not report is added again.
  if (epoll_ctl(epoll_fd, EPOLL_CTL_MOD, s, &ev) == 0) return 0;
  if (errno == ENOENT && epoll_ctl(epoll_fd, EPOLL_CTL_ADD, s, &ev) == 0) return 0;
  return -1;  // libcurl fails the transfers on this socket instead of hanging
}

int CurlDispatcher::OnTimer(CURLM*, long timeout_ms, void* self) noexcept {
  auto* d = static_cast<CurlDispatcher*>(self);
  if (timeout_ms < 0) {
    d->timer_due_.reset();
  } else {
    d->timer_due_ = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  }
  return 0;
}

bool CurlDispatcher::Submit(DispatchRequest&& request) noexcept {
  if (in_flight() >= capacity()) return false;
  auto transfer = std::make_unique<Transfer>(std::move(request), options_.max_body_bytes);
  if (const auto* send = std::get_if<SmtpSend>(&transfer->request.payload)) {
    if (auto url = SmtpUrl(*send); url.ok()) {
      std::string key = SmtpTrustKey(*send);
      transfer->isolate_connection = smtp_trust_owner_.try_emplace(*url, key).first->second != key;
    }
  }
  EasyPtr recycled;
  if (!idle_easy_.empty()) {
    recycled = std::move(idle_easy_.back());
    idle_easy_.pop_back();
  }
  if (std::optional<DispatchResult> failed = SetUpTransfer(*transfer, options_, std::move(recycled))) {
    finished_.push_back(std::move(*failed));
    return true;
  }
  CURL* easy = transfer->easy.get();
  if (CURLMcode mc = curl_multi_add_handle(multi_, easy); mc != CURLM_OK) {
    finished_.push_back(FailedBeforeStart(*transfer, TransportError::kOther,
                                          std::string("curl_multi_add_handle: ") + curl_multi_strerror(mc)));
    return true;
  }
  running_.emplace(easy, std::move(transfer));
  return true;
}

void CurlDispatcher::Harvest() {
  int queued = 0;
  while (CURLMsg* msg = curl_multi_info_read(multi_, &queued)) {
    if (msg->msg != CURLMSG_DONE) continue;
    CURL* easy = msg->easy_handle;
    CURLcode code = msg->data.result;
    char* priv = nullptr;
    (void)curl_easy_getinfo(easy, CURLINFO_PRIVATE, &priv);
    auto* transfer = reinterpret_cast<Transfer*>(priv);
    // Removing returns the connection to the multi handle's cache for reuse.
    curl_multi_remove_handle(multi_, easy);
    if (transfer == nullptr) continue;  // not ours; cannot happen
    finished_.push_back(FinishTransfer(*transfer, code));
    if (idle_easy_.size() < options_.max_in_flight) idle_easy_.push_back(std::move(transfer->easy));
    running_.erase(easy);
  }
}

bool CurlDispatcher::RunTimers() {
  if (!timer_due_ || *timer_due_ > std::chrono::steady_clock::now()) return true;
  timer_due_.reset();  // libcurl sets the next one during the call
  int running = 0;
  CURLMcode mc = curl_multi_socket_action(multi_, CURL_SOCKET_TIMEOUT, 0, &running);
  Harvest();
  return mc == CURLM_OK;
}

bool CurlDispatcher::WaitForSockets(std::chrono::milliseconds wait) {
  std::array<epoll_event, 64> events;
  int timeout_ms = static_cast<int>(std::clamp<long long>(wait.count(), 0, INT_MAX));
  int n = epoll_wait(epoll_fd_, events.data(), static_cast<int>(events.size()), timeout_ms);
  if (n < 0) return errno == EINTR;
  CURLMcode mc = CURLM_OK;
  for (int i = 0; i < n && mc == CURLM_OK; ++i) {
    const epoll_event& ev = events[static_cast<size_t>(i)];
    if (ev.data.fd == wake_fd_) {
      uint64_t count = 0;
      (void)read(wake_fd_, &count, sizeof count);  // re-arms; woken_ is already set
      continue;
    }
    int mask = ((ev.events & EPOLLIN) != 0 ? CURL_CSELECT_IN : 0) |
               ((ev.events & EPOLLOUT) != 0 ? CURL_CSELECT_OUT : 0) |
               ((ev.events & (EPOLLERR | EPOLLHUP)) != 0 ? CURL_CSELECT_ERR : 0);
    int running = 0;
    mc = curl_multi_socket_action(multi_, ev.data.fd, mask, &running);
  }
  Harvest();
  return mc == CURLM_OK;
}

std::vector<DispatchResult> CurlDispatcher::Poll(std::chrono::milliseconds max_wait) noexcept {
  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + max_wait;
  // Transfers submitted since the last Poll start in RunTimers (adding a
  // handle sets a timer of 0); sockets already ready are served even when
  // max_wait is 0.
  bool healthy = RunTimers() && WaitForSockets(std::chrono::milliseconds(0));
  // A socket event may finish nothing (a TLS record, a header), so wait
  // again until something finishes, a wakeup comes or the time is up.
  while (finished_.empty() && healthy && !woken_.exchange(false)) {
    auto now = Clock::now();
    if (now >= deadline) break;
    auto until = timer_due_ ? std::min(deadline, *timer_due_) : deadline;
    healthy = WaitForSockets(std::chrono::ceil<std::chrono::milliseconds>(until - now)) && RunTimers();
  }
  std::vector<DispatchResult> done;
  done.swap(finished_);
  return done;
}

void CurlDispatcher::Wakeup() noexcept {
  // The flag makes Poll return even when the wakeup lands while it is
  // inside libcurl rather than in epoll_wait; the eventfd ends a wait.
  woken_.store(true);
  uint64_t one = 1;
  (void)write(wake_fd_, &one, sizeof one);
}

}  // namespace herald::dispatch
