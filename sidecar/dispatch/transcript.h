#pragma once
// What libcurl hands the dispatcher's callbacks while a transfer runs, boiled
// down to the facts a DispatchResult reports. Pure (fed with bytes), so the
// parsing is unit-tested without a server.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dispatch/dispatcher.h"

namespace herald::dispatch {

// An HTTP response as curl's header and write callbacks deliver it.
class HttpResponseCapture {
 public:
  explicit HttpResponseCapture(size_t max_body_bytes) : max_body_bytes_(max_body_bytes) {}

  // Takes one header line as CURLOPT_HEADERFUNCTION gives it (CRLF included).
  // A status line ("HTTP/...") starts a new response, so headers of an
  // interim 1xx response are forgotten. Never fails.
  void OnHeaderLine(std::string_view line);

  // Takes a piece of the body. Keeps the first max_body_bytes and drops the
  // rest (the transfer still reads it all, so the connection stays reusable).
  void OnBody(std::string_view data);

  // Returns the final response's first Retry-After value, whitespace trimmed.
  [[nodiscard]] const std::optional<std::string>& retry_after() const { return retry_after_; }
  [[nodiscard]] const std::string& body() const { return body_; }
  [[nodiscard]] bool body_truncated() const { return truncated_; }
  std::string TakeBody() { return std::move(body_); }

 private:
  size_t max_body_bytes_;
  std::optional<std::string> retry_after_;
  std::string body_;
  bool truncated_ = false;
};

// An SMTP dialogue as curl's debug callback shows it: the commands it sends
// (CURLINFO_HEADER_OUT) and the reply lines it receives (CURLINFO_HEADER_IN).
// libcurl reports a refused recipient only as a log line, so this is how the
// dispatcher learns which RCPT TO was refused: commands are not pipelined, so
// the reply after "RCPT TO:<x>" is x's.
//
// Only RCPT TO commands are kept; everything else sent (AUTH carries the
// credentials) is dropped as soon as its line is complete.
class SmtpTranscript {
 public:
  // Takes bytes libcurl sent. Never fails.
  void OnSent(std::string_view data);
  // Takes bytes of server replies, e.g. "250-SIZE\r\n" or "550 no\r\n".
  void OnReceived(std::string_view data);

  // Returns the last reply line received, without CRLF ("" when none),
  // not counting the answer to QUIT: libcurl may say goodbye after a failed
  // transaction, and "221 closing" must not hide the reply that failed it.
  [[nodiscard]] const std::string& last_reply() const { return last_reply_; }
  // Returns the recipients whose RCPT TO got a 4xx or 5xx reply, in order.
  [[nodiscard]] const std::vector<RefusedRecipient>& refused() const { return refused_; }
  std::vector<RefusedRecipient> TakeRefused() { return std::move(refused_); }

 private:
  void SentLine(std::string_view line);
  void ReceivedLine(std::string_view line);

  std::string sent_partial_;
  std::string received_partial_;
  std::optional<std::string> pending_rcpt_;
  bool quitting_ = false;
  std::string last_reply_;
  std::vector<RefusedRecipient> refused_;
};

}  // namespace herald::dispatch
