#include "dispatch/curl_setup.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <string_view>

namespace herald::dispatch {
namespace {

bool IsTokenChar(char c) {
  static constexpr std::string_view kSpecials = "!#$%&'*+-.^_`|~";
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || kSpecials.find(c) != std::string_view::npos;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

bool HasLineBreakOrNul(std::string_view s) { return s.find_first_of(std::string_view("\r\n\0", 3)) != s.npos; }

// Headers whose values libcurl computes or that decide framing and
// keep-alive; a configured value would break the request or the connection.
constexpr std::array<std::string_view, 6> kManagedHeaders = {
    "Content-Type", "Content-Length", "Host", "Expect", "Transfer-Encoding", "Connection",
};

// Returns `s` with control characters as '?', so an error stays one line.
std::string Printable(std::string_view s) {
  std::string shown(s);
  for (char& c : shown) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  }
  return shown;
}

Status ValidateAddress(std::string_view what, std::string_view address) {
  auto fail = [&](std::string_view why) {
    return Error{std::string(what) + " \"" + Printable(address) + "\": " + std::string(why)};
  };
  if (address.empty()) return fail("is empty");
  if (address.size() > 254) return fail("is longer than 254 characters");
  for (char c : address) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f || c == '<' || c == '>') {
      return fail("contains a control character, space, '<' or '>'");
    }
  }
  size_t at = address.rfind('@');
  if (at == std::string_view::npos || at == 0 || at + 1 == address.size()) {
    return fail("is not user@host");
  }
  return OkStatus();
}

}  // namespace

TransportError TransportErrorFromCurl(CURLcode code) {
  switch (code) {
    case CURLE_OK:
      return TransportError::kNone;
    case CURLE_OPERATION_TIMEDOUT:
      return TransportError::kTimeout;
    case CURLE_COULDNT_CONNECT:
      return TransportError::kConnectFailed;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
      return TransportError::kDnsFailure;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_USE_SSL_FAILED:  // STARTTLS required but not offered or refused
    case CURLE_SSL_ENGINE_INITFAILED:
    case CURLE_SSL_CIPHER:
      return TransportError::kTlsHandshake;
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
      return TransportError::kTlsCertificate;
    case CURLE_SEND_ERROR:
      return TransportError::kConnectionLost;
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:   // closed before any response
    case CURLE_PARTIAL_FILE:  // closed before the whole body
    case CURLE_HTTP2:         // HTTP/2 framing or connection failure
    case CURLE_HTTP2_STREAM:  // the stream was reset
    case CURLE_WEIRD_SERVER_REPLY:
      return TransportError::kConnectionLost;
    case CURLE_LOGIN_DENIED:
      return TransportError::kLoginDenied;
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
      return TransportError::kBadRequest;
    default:
      return TransportError::kOther;
  }
}

Result<std::vector<std::string>> HttpHeaderLines(const HttpPost& post) {
  if (post.content_type.empty()) return Error{"content type is empty"};
  if (HasLineBreakOrNul(post.content_type)) return Error{"content type contains CR, LF or NUL"};
  std::vector<std::string> lines;
  lines.reserve(post.headers.size() + 2);
  lines.push_back("Content-Type: " + post.content_type);
  lines.emplace_back("Expect:");
  for (const auto& [name, value] : post.headers) {
    if (name.empty() || !std::all_of(name.begin(), name.end(), IsTokenChar)) {
      std::string shown;
      for (char c : name) shown += IsTokenChar(c) ? c : '?';
      return Error{"header name \"" + shown + "\" is not an HTTP token"};
    }
    for (std::string_view managed : kManagedHeaders) {
      if (EqualsIgnoreCase(name, managed)) return Error{"header " + name + " is set by the dispatcher"};
    }
    if (HasLineBreakOrNul(value)) return Error{"header " + name + ": value contains CR, LF or NUL"};
    lines.push_back(value.empty() ? name + ";" : name + ": " + value);
  }
  return lines;
}

Result<std::string> SmtpUrl(const SmtpSend& send) {
  if (send.host.empty()) return Error{"SMTP host is empty"};
  for (char c : send.host) {
    if (std::isalnum(static_cast<unsigned char>(c)) == 0 && c != '.' && c != '-' && c != ':') {
      return Error{"SMTP host \"" + Printable(send.host) +
                   "\" has a character other than letters, digits, '.', '-', ':'"};
    }
  }
  if (send.port == 0) return Error{"SMTP port is 0"};
  std::string host = send.host.find(':') != std::string::npos ? "[" + send.host + "]" : send.host;
  std::string scheme = send.tls == SmtpTls::kImplicit ? "smtps://" : "smtp://";
  return scheme + host + ":" + std::to_string(send.port);
}

std::string SmtpTrustKey(const SmtpSend& send) {
  return std::to_string(static_cast<int>(send.tls)) + ":" + send.ca_file;
}

Status ValidateSmtpEnvelope(const SmtpSend& send) {
  if (auto s = ValidateAddress("sender", send.mail_from); !s.ok()) return s;
  if (send.recipients.empty()) return Error{"no recipients"};
  for (const std::string& rcpt : send.recipients) {
    if (auto s = ValidateAddress("recipient", rcpt); !s.ok()) return s;
  }
  return OkStatus();
}

}  // namespace herald::dispatch
