#include "sidecar/core/outcome.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <nlohmann/json.hpp>

#include "sidecar/core/retry_after.h"

namespace herald::sidecar {
namespace {

// Peer text quoted in a reason is cut to this many bytes.
constexpr size_t kSnippetBytes = 200;

// Slack error tokens that name a transient problem on Slack's side.
constexpr std::array<std::string_view, 7> kSlackTransient = {
    "rollup_error",    "internal_error", "fatal_error", "service_unavailable",
    "request_timeout", "rate_limited",   "ratelimited",
};

std::string_view Trim(std::string_view s) {
  auto ws = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!s.empty() && ws(s.front())) s.remove_prefix(1);
  while (!s.empty() && ws(s.back())) s.remove_suffix(1);
  return s;
}

// Peer text made safe for a one-line reason: control characters become
// spaces and the cut never splits a UTF-8 sequence.
std::string Snippet(std::string_view text) {
  text = Trim(text);
  bool cut = false;
  if (text.size() > kSnippetBytes) {
    size_t n = kSnippetBytes;
    while (n > 0 && (static_cast<unsigned char>(text[n]) & 0xC0) == 0x80) --n;
    text = text.substr(0, n);
    cut = true;
  }
  std::string out(text);
  for (char& c : out) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
  }
  if (cut) out += "...";
  return out;
}

std::string WithDetail(std::string head, std::string_view detail) {
  std::string s = Snippet(detail);
  if (!s.empty()) head += ": " + s;
  return head;
}

bool IsSlackToken(std::string_view s) {
  if (s.empty() || s.size() > 64 || !(s[0] >= 'a' && s[0] <= 'z')) return false;
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'; });
}

// Returns the error token of a Slack 2xx body, or "" when the body reports
// success or is not in Slack's error shape (then 2xx stands).
std::string SlackErrorToken(std::string_view body) {
  body = Trim(body);
  if (body.empty() || body == "ok") return "";
  if (IsSlackToken(body)) return std::string(body);
  if (body.front() == '{') {
    auto j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
    if (j.is_object() && j.contains("ok") && j["ok"] == false) {
      auto it = j.find("error");
      if (it != j.end() && it->is_string() && !it->get<std::string>().empty()) return Snippet(it->get<std::string>());
      return "unknown_error";
    }
  }
  return "";
}

// Legacy Office 365 connectors answer 200 with "Webhook message delivery
// failed with error: Microsoft Teams endpoint returned HTTP error 429 ...".
// Returns std::nullopt when the body is not such a wrapper, else the status
// it carries (0 when it names none).
std::optional<int> TeamsWrappedStatus(std::string_view body) {
  constexpr std::string_view kMarker = "returned HTTP error ";
  if (body.find("Webhook message delivery failed") == std::string_view::npos) return std::nullopt;
  size_t at = body.find(kMarker);
  if (at == std::string_view::npos) return 0;
  std::string_view rest = body.substr(at + kMarker.size());
  int status = 0;
  auto [p, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), status);
  if (ec != std::errc{} || status < 100 || status > 599) return 0;
  return status;
}

Outcome FromTransport(TransportError e, std::string_view detail, std::string prefix = "") {
  Outcome o;
  o.verdict = ClassifyTransport(e);
  o.reason = WithDetail(std::string(ToString(e)) + prefix, detail);
  return o;
}

// Classifies by status alone (for a reply, or the status a wrapper carries).
Outcome FromStatus(int status, const HttpReply& reply, WallTime now, std::string reason) {
  Outcome o;
  o.reason = std::move(reason);
  if (status >= 200 && status <= 299) {
    o.verdict = Verdict::kDelivered;
  } else if (status == 429 || status == 408 || status == 425 || (status >= 500 && status <= 599)) {
    o.verdict = Verdict::kRetryable;
    if (reply.retry_after) o.retry_after = ParseRetryAfter(*reply.retry_after, now);
    o.throttle_channel = status == 429 || (status == 503 && o.retry_after.has_value());
  } else {
    // 1xx/3xx as a final answer (redirects are not followed: the URL is
    // configuration), other 4xx, and codes outside HTTP's range.
    o.verdict = Verdict::kPermanent;
  }
  return o;
}

}  // namespace

std::string_view ToString(TransportError e) {
  switch (e) {
    case TransportError::kNone:
      return "none";
    case TransportError::kTimeout:
      return "timeout";
    case TransportError::kDnsFailure:
      return "dns failure";
    case TransportError::kConnectFailed:
      return "connect failed";
    case TransportError::kConnectionLost:
      return "connection lost";
    case TransportError::kTlsHandshake:
      return "tls handshake failed";
    case TransportError::kTlsCertificate:
      return "tls certificate rejected";
    case TransportError::kLoginDenied:
      return "login denied";
    case TransportError::kBadRequest:
      return "bad request url";
    case TransportError::kOther:
      return "transport error";
  }
  return "transport error";
}

std::string_view ToString(Verdict v) {
  switch (v) {
    case Verdict::kDelivered:
      return "delivered";
    case Verdict::kRetryable:
      return "retryable";
    case Verdict::kPermanent:
      return "permanent";
  }
  return "unknown";
}

std::string_view ToString(DeadLetterClass c) {
  switch (c) {
    case DeadLetterClass::kInvalid:
      return "invalid";
    case DeadLetterClass::kPermanent:
      return "permanent";
    case DeadLetterClass::kExhausted:
      return "exhausted";
  }
  return "unknown";
}

std::ostream& operator<<(std::ostream& os, TransportError e) { return os << ToString(e); }
std::ostream& operator<<(std::ostream& os, Verdict v) { return os << ToString(v); }
std::ostream& operator<<(std::ostream& os, DeadLetterClass c) { return os << ToString(c); }

Verdict ClassifyTransport(TransportError e) {
  switch (e) {
    case TransportError::kNone:
      return Verdict::kDelivered;
    // A certificate that fails verification means the peer is not who the
    // URL names (or our CA bundle is wrong): sending again cannot fix that
    // within a retry window, and sending the payload elsewhere is never
    // right. Likewise rejected credentials and an unusable URL.
    case TransportError::kTlsCertificate:
    case TransportError::kLoginDenied:
    case TransportError::kBadRequest:
      return Verdict::kPermanent;
    // Timeouts, DNS, refused or dropped connections and handshake failures
    // (resets, overloaded TLS terminators) are what outages look like, and
    // outages end. Unknown errors are retried too: maxAttempts bounds them.
    case TransportError::kTimeout:
    case TransportError::kDnsFailure:
    case TransportError::kConnectFailed:
    case TransportError::kConnectionLost:
    case TransportError::kTlsHandshake:
    case TransportError::kOther:
      return Verdict::kRetryable;
  }
  return Verdict::kRetryable;
}

Outcome ClassifyHttp(ChannelKind kind, const HttpReply& reply, WallTime now) {
  const int status = reply.status;
  const std::string status_text = "HTTP " + std::to_string(status);
  if (status == 0) {
    if (reply.transport == TransportError::kNone) return {Verdict::kRetryable, "no HTTP response", std::nullopt, false};
    return FromTransport(reply.transport, reply.transport_detail);
  }
  const bool success_status = status >= 200 && status <= 299;
  if (success_status && reply.transport != TransportError::kNone) {
    return FromTransport(reply.transport, reply.transport_detail, " after " + status_text);
  }
  if (success_status && kind == ChannelKind::kSlack) {
    std::string token = SlackErrorToken(reply.body);
    if (!token.empty()) {
      bool transient = std::find(kSlackTransient.begin(), kSlackTransient.end(), token) != kSlackTransient.end();
      Outcome o;
      o.verdict = transient ? Verdict::kRetryable : Verdict::kPermanent;
      o.reason = "slack error " + token + " (" + status_text + ")";
      o.throttle_channel = token == "rate_limited" || token == "ratelimited";
      return o;
    }
  }
  if (success_status && kind == ChannelKind::kTeams) {
    if (auto wrapped = TeamsWrappedStatus(reply.body)) {
      if (*wrapped == 0) {
        // A failure that names no status: unknown, so retried; maxAttempts
        // bounds it.
        return {Verdict::kRetryable, WithDetail("teams connector failed (" + status_text + ")", reply.body),
                std::nullopt, false};
      }
      return FromStatus(
          *wrapped, reply, now,
          WithDetail("teams connector failed with HTTP " + std::to_string(*wrapped) + " (" + status_text + ")",
                     reply.body));
    }
  }
  if (success_status) return FromStatus(status, reply, now, status_text);
  return FromStatus(status, reply, now, WithDetail(status_text, reply.body));
}

Outcome ClassifySmtp(const SmtpReply& reply) {
  const int code = reply.code;
  const std::string code_text = "SMTP " + std::to_string(code);
  if (code >= 400 && code <= 499) return {Verdict::kRetryable, WithDetail(code_text, reply.text), std::nullopt, false};
  if (code >= 500 && code <= 599) return {Verdict::kPermanent, WithDetail(code_text, reply.text), std::nullopt, false};
  const bool known = code == 0 || (code >= 200 && code <= 399);
  if (!known) return {Verdict::kPermanent, WithDetail("unexpected " + code_text, reply.text), std::nullopt, false};
  if (reply.transport != TransportError::kNone) {
    return FromTransport(reply.transport, reply.transport_detail, code == 0 ? "" : " after " + code_text);
  }
  return {Verdict::kDelivered, code == 0 ? "SMTP accepted" : code_text, std::nullopt, false};
}

}  // namespace herald::sidecar
