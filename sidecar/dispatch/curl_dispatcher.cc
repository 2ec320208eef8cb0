#include "dispatch/curl_dispatcher.h"

#include <algorithm>
#include <climits>
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
  auto connections = static_cast<long>(options.max_connections != 0 ? options.max_connections : options.max_in_flight);
  // One cap for open connections overall and per host (a channel talks to
  // one host), and a cache of the same size so idle kept-alive connections
  // are not closed while the channel still has work for them.
  for (CURLMoption option : {CURLMOPT_MAX_TOTAL_CONNECTIONS, CURLMOPT_MAX_HOST_CONNECTIONS, CURLMOPT_MAXCONNECTS}) {
    if (CURLMcode mc = curl_multi_setopt(multi, option, connections); mc != CURLM_OK) {
      curl_multi_cleanup(multi);
      return Error{std::string("curl_multi_setopt: ") + curl_multi_strerror(mc)};
    }
  }
  return std::unique_ptr<CurlDispatcher>(new CurlDispatcher(options, multi));
}

CurlDispatcher::CurlDispatcher(const CurlDispatcherOptions& options, CURLM* multi) : options_(options), multi_(multi) {}

CurlDispatcher::~CurlDispatcher() {
  // Easy handles leave the multi handle before either is freed, as libcurl
  // requires; the Transfers (and their easy handles) go with running_.
  for (auto& [easy, transfer] : running_) curl_multi_remove_handle(multi_, easy);
  running_.clear();
  curl_multi_cleanup(multi_);
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
  if (std::optional<DispatchResult> failed = SetUpTransfer(*transfer, options_)) {
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
    running_.erase(easy);
  }
}

bool CurlDispatcher::Perform() {
  int running = 0;
  CURLMcode mc = curl_multi_perform(multi_, &running);
  Harvest();
  return mc == CURLM_OK;
}

std::vector<DispatchResult> CurlDispatcher::Poll(std::chrono::milliseconds max_wait) noexcept {
  const auto deadline = std::chrono::steady_clock::now() + max_wait;
  bool healthy = Perform();
  // curl_multi_poll also returns for socket activity that finishes nothing
  // (a TLS record, a header), so wait again until something finishes.
  while (finished_.empty() && healthy && !woken_.exchange(false)) {
    auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    int timeout_ms = static_cast<int>(std::min<long long>(left.count(), INT_MAX));
    if (curl_multi_poll(multi_, nullptr, 0, timeout_ms, nullptr) != CURLM_OK) break;
    healthy = Perform();
  }
  std::vector<DispatchResult> done;
  done.swap(finished_);
  return done;
}

void CurlDispatcher::Wakeup() noexcept {
  // The flag makes Poll return even when the wakeup lands while it is in
  // curl_multi_perform rather than curl_multi_poll.
  woken_.store(true);
  curl_multi_wakeup(multi_);
}

}  // namespace herald::dispatch
