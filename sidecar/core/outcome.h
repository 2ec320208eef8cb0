#pragma once
// What one dispatch attempt means for its message: delivered, worth another
// attempt, or never going to work. The dispatcher (sidecar/dispatch) reduces
// libcurl's answer to the plain values below, so this file needs no libcurl
// header and every rule is a table-driven test.
//
// The rules, in order:
//  1. A failure reply from the peer (HTTP status >= 300, SMTP code >= 400)
//     wins over a transport error: the server said what went wrong.
//  2. Success needs a clean transfer: a 2xx whose transfer then broke (or an
//     SMTP session that failed after an earlier 250) is judged by the
//     transport error, so it is retried; at-least-once allows the duplicate.
//  3. Otherwise the transport error decides (see ClassifyTransport).
#include <chrono>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>

#include "herald/render.h"
#include "sidecar/core/types.h"

namespace herald::sidecar {

// The channel kinds are the ones templates render for (common/herald/render.h).
using ChannelKind = herald::ChannelKind;

// Transport failures, each a group of CURLcode values; the dispatcher maps:
//  kTimeout        CURLE_OPERATION_TIMEDOUT
//  kDnsFailure     CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY
//  kConnectFailed  CURLE_COULDNT_CONNECT (refused, unreachable)
//  kConnectionLost CURLE_SEND_ERROR, CURLE_RECV_ERROR, CURLE_GOT_NOTHING,
//                  CURLE_PARTIAL_FILE, CURLE_HTTP2, CURLE_HTTP2_STREAM
//  kTlsHandshake   CURLE_SSL_CONNECT_ERROR
//  kTlsCertificate CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CACERT_BADFILE,
//                  CURLE_SSL_PINNEDPUBKEYNOTMATCH, CURLE_SSL_CERTPROBLEM
//  kLoginDenied    CURLE_LOGIN_DENIED
//  kBadRequest     CURLE_URL_MALFORMAT, CURLE_UNSUPPORTED_PROTOCOL
//  kOther          anything else
enum class TransportError {
  kNone,
  kTimeout,
  kDnsFailure,
  kConnectFailed,
  kConnectionLost,
  kTlsHandshake,
  kTlsCertificate,
  kLoginDenied,
  kBadRequest,
  kOther,
};

enum class Verdict { kDelivered, kRetryable, kPermanent };

// The dead-letter classes of the contract (header herald-error-class).
enum class DeadLetterClass { kInvalid, kPermanent, kExhausted };

// Returns the lower-case name used in logs, metrics and headers.
[[nodiscard]] std::string_view ToString(TransportError e);
[[nodiscard]] std::string_view ToString(Verdict v);
[[nodiscard]] std::string_view ToString(DeadLetterClass c);  // "invalid" | "permanent" | "exhausted"
std::ostream& operator<<(std::ostream& os, TransportError e);
std::ostream& operator<<(std::ostream& os, Verdict v);
std::ostream& operator<<(std::ostream& os, DeadLetterClass c);

// One HTTP attempt as the dispatcher saw it. Views must outlive the call.
struct HttpReply {
  TransportError transport = TransportError::kNone;
  std::string_view transport_detail;  // curl's error buffer, for the reason
  int status = 0;                     // 0: no response
  std::string_view body;
  std::optional<std::string_view> retry_after;  // raw Retry-After header value
};

// One SMTP transaction. `code` is the last reply code received (curl's
// CURLINFO_RESPONSE_CODE), 0 when none.
struct SmtpReply {
  TransportError transport = TransportError::kNone;
  std::string_view transport_detail;
  int code = 0;
  std::string_view text;  // the reply line, for the reason
};

struct Outcome {
  Verdict verdict = Verdict::kRetryable;
  // Human-readable, one line, at most a few hundred bytes: goes into logs
  // and the herald-error dead-letter header.
  std::string reason;
  // How long the server asked us to wait (Retry-After), already capped.
  std::optional<std::chrono::nanoseconds> retry_after;
  // The server asked the whole channel to slow down (429, or 503 with
  // Retry-After), not only this message.
  bool throttle_channel = false;
};

// Returns the verdict for a transport error alone: kNone is delivered;
// kTlsCertificate, kLoginDenied and kBadRequest are permanent (configuration
// that retrying cannot fix: the message goes to the dead-letter topic at once
// and is replayed once fixed); everything else is retryable.
[[nodiscard]] Verdict ClassifyTransport(TransportError e);

// Returns the outcome of an HTTP attempt on a Slack, Teams or webhook channel.
// 2xx: delivered, except a Slack error body (see below) or a legacy Teams
// connector's "200 OK wrapping an error" body, which are judged by the error
// they carry. 429: retryable and throttles the channel. 408, 425, 5xx:
// retryable (503 with Retry-After also throttles). Other 1xx/3xx/4xx and
// anything outside 100..599: permanent. No status: the transport decides.
// `now` (wall clock) resolves a Retry-After HTTP-date.
//
// Slack incoming webhooks answer 200 "ok" on success and a bare error token
// (e.g. "invalid_blocks", "no_text", "channel_not_found") on failure. A 2xx
// whose body is such a token, or JSON {"ok":false,"error":...}, is permanent,
// except the tokens that name a transient problem on Slack's side
// ("rollup_error", "internal_error", "fatal_error", "service_unavailable",
// "request_timeout", "rate_limited", "ratelimited"), which are retryable.
[[nodiscard]] Outcome ClassifyHttp(ChannelKind kind, const HttpReply& reply, WallTime now);

// Returns the outcome of an SMTP transaction: a clean session (code 0 or
// 2xx/3xx) is delivered; 4xx retryable; 5xx permanent; other codes
// permanent; no failure code: the transport decides. RFC 5321 allows a 552
// after RCPT to mean "too many recipients, try later"; Herald sends one
// transaction per message and cannot tell which command failed, so 552 stays
// permanent like every 5xx.
[[nodiscard]] Outcome ClassifySmtp(const SmtpReply& reply);

}  // namespace herald::sidecar
