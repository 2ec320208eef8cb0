#pragma once
// One request in flight inside CurlDispatcher: the request (which owns the
// bytes libcurl reads), the lists libcurl points to, and what the callbacks
// collected. Setting up the easy handle and reading the result out of it live
// here so curl_dispatcher.cc is only the multi loop.
#include <curl/curl.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "dispatch/curl_dispatcher.h"
#include "dispatch/dispatcher.h"
#include "dispatch/transcript.h"

namespace herald::dispatch {

struct SlistDeleter {
  void operator()(curl_slist* list) const noexcept { curl_slist_free_all(list); }
};
using SlistPtr = std::unique_ptr<curl_slist, SlistDeleter>;

struct Transfer {
  Transfer(DispatchRequest&& r, size_t max_body_bytes)
      : request(std::move(r)), submitted(std::chrono::steady_clock::now()), http(max_body_bytes) {}

  DispatchRequest request;
  std::chrono::steady_clock::time_point submitted;
  EasyPtr easy;
  char error[CURL_ERROR_SIZE] = {};
  SlistPtr list;  // HTTP header lines, or SMTP recipients
  HttpResponseCapture http;
  SmtpTranscript smtp;
  size_t upload_offset = 0;  // how much of the SMTP message libcurl has read
  // Use a new connection and close it afterwards, so this transfer neither
  // reuses nor leaves behind a connection set up with other trust settings.
  bool isolate_connection = false;
};

// Creates `transfer.easy` (or takes `recycled`, a handle of a finished
// transfer, after curl_easy_reset: every option back to its default, only
// libcurl's buffers kept) and sets every option for its request, with
// CURLOPT_PRIVATE pointing at `transfer` (which must not move until the
// handle is gone). Returns nullopt when the handle is ready for the multi
// handle. Otherwise returns the result to report instead: kBadRequest when
// the request is invalid (see curl_setup.h; a timeout that is not positive),
// kOther when libcurl refuses an option or cannot allocate.
[[nodiscard]] std::optional<DispatchResult> SetUpTransfer(Transfer& transfer, const CurlDispatcherOptions& options,
                                                          EasyPtr recycled = nullptr);

// Returns the result of a transfer libcurl reported done with `code`. Never
// fails; moves the collected body and transcript out of `transfer`.
[[nodiscard]] DispatchResult FinishTransfer(Transfer& transfer, CURLcode code);

// Returns the result for a request that never started: `kind` and `detail`
// as the transport error, latency since submission. Never fails.
[[nodiscard]] DispatchResult FailedBeforeStart(const Transfer& transfer, TransportError kind, std::string detail);

}  // namespace herald::dispatch
