#pragma once
// Builds the RFC 5322 / MIME (RFC 2045-2047) message Herald sends over SMTP.
// The output is 7-bit with CRLF line breaks and no line over 998 characters
// (headers fold at 78 where possible, bodies at 76), so it needs neither
// 8BITMIME nor SMTPUTF8 from the server. It is not dot-stuffed: libcurl
// escapes a leading "." itself when it uploads SMTP DATA (since 7.25; see
// README.md).
#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "dispatch/address.h"
#include "herald/result.h"

namespace herald::dispatch {

struct EmailMessage {
  Mailbox from;
  std::vector<Mailbox> to;
  // UTF-8. CR, LF and other control characters become spaces: a subject is
  // rendered from message data, and a stray newline in it should neither
  // inject a header nor lose the notification.
  std::string subject;
  std::string text;  // UTF-8 text/plain body
  std::string html;  // UTF-8 text/html body; empty: a text/plain-only message
  // The envelope's globalId; the Message-ID is <global_id@from.domain>, so a
  // redelivered message keeps its Message-ID and receivers can spot it.
  std::string global_id;
  std::chrono::system_clock::time_point date;
  // Added after the standard headers, e.g. {"X-Herald-Global-Id", id}.
  std::vector<std::pair<std::string, std::string>> extra_headers;
};

// Returns the whole message (headers, blank line, body), or an Error naming
// the problem when: `to` is empty; a mailbox fails ValidateMailbox (so CR/LF
// in names or addresses is rejected); `global_id` is not a dot-atom (a UUID is);
// the subject, text or HTML is not valid UTF-8; an extra header's name is not
// letters, digits and '-', or is one this builder writes or that routes mail
// (Date, From, Sender, To, Cc, Bcc, Subject, Message-ID, MIME-Version,
// Content-*); an extra
// header's value contains CR or LF (rejected rather than neutralised: these
// come from configuration, where a line break is a mistake to report); or the
// system's random generator fails.
//
// Bodies: line breaks normalised to CRLF; each part is quoted-printable, or
// base64 when that is shorter (mostly non-Latin text). Both parts are
// charset=utf-8 inside multipart/alternative, plain text first as RFC 2046
// 5.1.4 asks. The boundary is "=_herald_" + 32 random hex digits: "=_" cannot
// occur in quoted-printable or base64 output, and the body is checked anyway.
[[nodiscard]] Result<std::string> BuildEmail(const EmailMessage& message);

// Returns `t` as an RFC 5322 3.3 date-time in UTC, e.g.
// "Sun, 22 Nov 2026 10:15:00 +0000". Never fails.
[[nodiscard]] std::string FormatRfc5322Date(std::chrono::system_clock::time_point t);

}  // namespace herald::dispatch
