#pragma once
// The network half of dispatch, as the sidecar's event loop sees it: hand in
// requests tagged with a token, poll for what finished. The interface is pure
// and free of libcurl types so the loop can be tested with a fake;
// CurlDispatcher (curl_dispatcher.h) is the real one.
//
// A dispatcher reports raw facts (transport error, status code, headers,
// bodies, SMTP replies). Deciding what they mean (delivered, retry, dead
// letter) is sidecar/core/outcome.h's job.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "sidecar/core/outcome.h"

namespace herald::dispatch {

// How a transfer failed below the application protocol. Each value groups
// CURLcodes (see TransportErrorFromCurl in curl_setup.h); DispatchResult keeps
// the exact CURLcode and curl's message too.
// Transport failures are classified in sidecar/core (outcome.h); the
// dispatcher reports them with the same enum.
using TransportError = herald::sidecar::TransportError;

// Returns the snake_case name used in logs and metrics, e.g. "connect_failed".

// An HTTP POST to Slack, Teams or a webhook receiver.
struct HttpPost {
  std::string url;  // http:// or https:// only; redirects are not followed
  std::string content_type = "application/json";
  // Extra headers (e.g. webhook-signature). Names must be HTTP tokens and
  // values free of CR, LF and NUL, otherwise the request fails as kBadRequest.
  // Content-Type, Content-Length, Host, Expect and Transfer-Encoding are
  // managed by the dispatcher and rejected here.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

enum class SmtpTls {
  kStartTls,  // smtp://, STARTTLS required (never falls back to plain text)
  kImplicit,  // smtps://, TLS from the first byte (port 465)
  kNone,      // smtp://, plain text; for tests only
};

// One SMTP transaction: MAIL FROM, one RCPT TO per recipient, DATA.
struct SmtpSend {
  std::string host;  // name, IPv4 or IPv6 literal (without brackets)
  uint16_t port = 587;
  SmtpTls tls = SmtpTls::kStartTls;
  // PEM file with an extra trust anchor, trusted besides the system's CAs.
  // Verification stays on either way. Empty: system CAs only.
  std::string ca_file;
  std::string username;  // empty: no AUTH
  std::string password;
  std::string mail_from;                // bare address, "user@host"
  std::vector<std::string> recipients;  // bare addresses, at least one
  std::string message;                  // the whole message, e.g. from BuildEmail
};

struct DispatchRequest {
  uint64_t token = 0;  // the caller's; comes back in the result untouched
  // For the whole attempt: DNS, connect, TLS, request and response.
  std::chrono::milliseconds timeout{10000};
  std::variant<HttpPost, SmtpSend> payload;
};

// A recipient the server refused at RCPT TO while others were accepted (or
// all were, in which case the transaction failed too).
struct RefusedRecipient {
  std::string address;
  int code = 0;      // the RCPT reply code, e.g. 550
  std::string text;  // the reply line, e.g. "550 5.1.1 no such user"
};

struct DispatchResult {
  uint64_t token = 0;
  // From Submit to completion, including any wait for a free connection.
  std::chrono::nanoseconds latency{0};

  TransportError transport = TransportError::kNone;
  int curl_code = 0;             // the raw CURLcode; 0 when the transfer ran clean
  std::string transport_detail;  // curl's message (or ours for kBadRequest); empty when clean

  // HTTP: the final response's status (0: none received), its Retry-After
  // header verbatim, and the first max_body_bytes of its body.
  int http_status = 0;
  std::optional<std::string> retry_after;
  std::string body;
  bool body_truncated = false;

  // SMTP: the last reply received (0 / empty: none), e.g. 250 after DATA,
  // 535 after AUTH, 550 after RCPT; and the recipients refused at RCPT TO.
  int smtp_code = 0;
  std::string smtp_text;
  std::vector<RefusedRecipient> refused_recipients;

  // New connections this transfer opened (CURLINFO_NUM_CONNECTS): 0 when it
  // reused a kept-alive one.
  long connects = 0;
};

// Keeps many transfers in flight on the calling thread. Not thread-safe,
// except Wakeup: Submit, Poll and the accessors belong to one thread.
class Dispatcher {
 public:
  virtual ~Dispatcher() = default;

  // Returns true when the request was accepted: exactly one DispatchResult
  // with its token will come out of a later Poll (a request that is invalid
  // or cannot be set up comes back as a kBadRequest/kOther result, not as
  // false). Returns false when in_flight() == capacity(); `request` is then
  // left untouched so the caller can keep it.
  [[nodiscard]] virtual bool Submit(DispatchRequest&& request) = 0;

  // Drives transfers for up to `max_wait` and returns those that finished, in
  // no particular order. Returns as soon as at least one finished, Wakeup was
  // called, or the time is up; an empty vector means nothing finished. Waits
  // (without busy-looping) even when nothing is in flight, so the caller's
  // loop can use it as its sleep. Never fails: problems are in the results.
  [[nodiscard]] virtual std::vector<DispatchResult> Poll(std::chrono::milliseconds max_wait) = 0;

  // Makes a current or the next Poll return early. Safe from any thread (not
  // from a signal handler: use a signal-waiting thread); never fails.
  virtual void Wakeup() = 0;

  // Returns the number of accepted requests whose results Poll has not yet
  // returned.
  [[nodiscard]] virtual size_t in_flight() const = 0;
  // Returns the most requests that may be in flight at once.
  [[nodiscard]] virtual size_t capacity() const = 0;
};

using DispatcherPtr = std::unique_ptr<Dispatcher>;

}  // namespace herald::dispatch
