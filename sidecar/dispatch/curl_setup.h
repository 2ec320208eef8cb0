#pragma once
// The pure parts of setting up a libcurl transfer: URLs, header lines,
// validation of what ends up in protocol lines, and grouping CURLcodes. No
// I/O, so every rule here is a unit test.
#include <curl/curl.h>

#include <string>
#include <vector>

#include "dispatch/dispatcher.h"
#include "herald/result.h"

namespace herald::dispatch {

// Returns the TransportError group of `code`: CURLE_OK is kNone; see the enum
// in dispatcher.h for the groups. Codes not listed there are kOther.
[[nodiscard]] TransportError TransportErrorFromCurl(CURLcode code);

// Returns the header lines for curl's CURLOPT_HTTPHEADER: "Content-Type: ..",
// "Expect:" (an empty value removes the header: no 100-continue round trip
// before every POST), then the request's headers in order ("Name: value", or
// "Name;" for an empty value, which is curl's way to send one). Returns an
// Error naming the header when a name is not an HTTP token or is one the
// dispatcher manages (Content-Type, Content-Length, Host, Expect,
// Transfer-Encoding, Connection), when a value or the content type contains
// CR, LF or NUL (header injection), or when the content type is empty. Header
// values never appear in the error: they may be secrets.
[[nodiscard]] Result<std::vector<std::string>> HttpHeaderLines(const HttpPost& post);

// Returns "smtp://host:port" (STARTTLS, none) or "smtps://host:port"
// (implicit), with an IPv6 literal in brackets. Returns an Error when the
// host is empty or has characters other than letters, digits, '.', '-' and
// ':' (anything else could change the URL's meaning), or the port is 0.
[[nodiscard]] Result<std::string> SmtpUrl(const SmtpSend& send);

// Returns the part of an SMTP request's security that libcurl 7.88 does not
// compare when it picks a cached smtp:// connection for reuse: the TLS mode
// and the CA file. (It does compare host, port and credentials; for smtp://
// it skips the TLS configuration because the scheme is not TLS from the
// start, even when the connection was upgraded with STARTTLS.) Requests for
// one endpoint with different keys must not share connections. Never fails.
[[nodiscard]] std::string SmtpTrustKey(const SmtpSend& send);

// Returns OkStatus when the envelope can be put into MAIL FROM / RCPT TO
// lines: a sender and at least one recipient, each non-empty, at most 254
// characters, with one '@' after a non-empty local part and no control
// characters, spaces, '<' or '>'. Otherwise an Error naming the address.
// (Full mailbox rules are ParseMailbox's; this guards the protocol lines.)
[[nodiscard]] Status ValidateSmtpEnvelope(const SmtpSend& send);

}  // namespace herald::dispatch
