#include "dispatch/mime.h"

#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>
#include <ctime>
#include <string_view>

#include "dispatch/base64.h"
#include "dispatch/header_encoding.h"
#include "dispatch/quoted_printable.h"
#include "dispatch/utf8.h"

namespace herald::dispatch {
namespace {

struct EncodedBody {
  std::string transfer_encoding;
  // No trailing line break: the CRLF before a boundary delimiter belongs to
  // the delimiter (RFC 2046 5.1.1), so the writer adds it.
  std::string data;
};

// Returns the shorter of quoted-printable and base64 for a text body.
EncodedBody EncodeBody(std::string_view utf8) {
  const std::string canonical = NormalizeLineBreaks(utf8);
  EncodedBody qp{"quoted-printable", QuotedPrintableEncode(canonical)};
  // An estimate is enough to choose: base64 is 4/3 of the input plus CRLF per 76.
  const std::size_t base64_size = (canonical.size() + 2) / 3 * 4 * 78 / 76;
  if (qp.data.size() <= base64_size) return qp;
  std::string b64 = Base64EncodeLines(canonical);
  b64.resize(b64.size() - 2);  // non-empty here, so it ends with CRLF
  return {"base64", std::move(b64)};
}

Result<std::string> RandomBoundary() {
  std::array<unsigned char, 16> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
    return Error{"the random generator failed while making a MIME boundary"};
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string boundary = "=_herald_";
  for (unsigned char b : bytes) {
    boundary += kHex[b >> 4];
    boundary += kHex[b & 0xF];
  }
  return boundary;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

Status CheckExtraHeader(const std::string& name, const std::string& value) {
  if (name.empty()) return Error{"an extra email header has an empty name"};
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-') {
      return Error{"extra email header name \"" + NeutraliseControls(name) +
                   "\" may only contain letters, digits and '-'"};
    }
  }
  const std::string lower = Lower(name);
  static constexpr std::string_view kReserved[] = {"date",    "from",       "to",           "cc",    "bcc",
                                                   "subject", "message-id", "mime-version", "sender"};
  if (lower.starts_with("content-") ||
      std::find(std::begin(kReserved), std::end(kReserved), lower) != std::end(kReserved)) {
    return Error{"extra email header \"" + name + "\" is set by the message builder and cannot be overridden"};
  }
  if (value.find_first_of("\r\n") != std::string::npos) {
    return Error{"extra email header \"" + name + "\" has a line break in its value"};
  }
  if (!IsValidUtf8(value)) return Error{"extra email header \"" + name + "\" is not valid UTF-8"};
  return OkStatus();
}

std::string AddressList(const std::vector<Mailbox>& mailboxes) {
  std::string out;
  for (const auto& m : mailboxes) {
    if (!out.empty()) out += ", ";
    out += FormatMailbox(m);
  }
  return out;
}

}  // namespace

std::string FormatRfc5322Date(std::chrono::system_clock::time_point t) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(std::chrono::floor<std::chrono::seconds>(t));
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  // Names are spelled out rather than taken from strftime("%a %b"), which
  // follow the locale; RFC 5322 wants the English abbreviations.
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d +0000", kDays[tm.tm_wday], tm.tm_mday,
                kMonths[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return buf;
}

Result<std::string> BuildEmail(const EmailMessage& message) {
  if (message.to.empty()) return Error{"the email has no recipients"};
  // Mailboxes may be built directly rather than parsed; hold them to the same rules.
  if (auto st = ValidateMailbox(message.from); !st.ok()) return Error{"From: " + st.error()};
  for (const Mailbox& to : message.to) {
    if (auto st = ValidateMailbox(to); !st.ok()) return Error{"To: " + st.error()};
  }
  if (!IsDotAtom(message.global_id)) {
    return Error{"globalId \"" + NeutraliseControls(message.global_id) + "\" cannot form a Message-ID"};
  }
  if (!IsValidUtf8(message.subject)) return Error{"the email subject is not valid UTF-8"};
  if (!IsValidUtf8(message.text)) return Error{"the email text body is not valid UTF-8"};
  if (!IsValidUtf8(message.html)) return Error{"the email HTML body is not valid UTF-8"};
  for (const auto& [name, value] : message.extra_headers) {
    if (auto st = CheckExtraHeader(name, value); !st.ok()) return Error{st.error()};
  }

  std::string out;
  out += FoldHeader("Date", FormatRfc5322Date(message.date));
  out += FoldHeader("From", FormatMailbox(message.from));
  out += FoldHeader("To", AddressList(message.to));
  out += FoldHeader("Subject", EncodeUnstructured(message.subject));
  out += FoldHeader("Message-ID", "<" + message.global_id + "@" + message.from.domain + ">");
  out += "MIME-Version: 1.0\r\n";
  for (const auto& [name, value] : message.extra_headers) out += FoldHeader(name, EncodeUnstructured(value));

  const EncodedBody text = EncodeBody(message.text);
  if (message.html.empty()) {
    out += "Content-Type: text/plain; charset=utf-8\r\n";
    out += "Content-Transfer-Encoding: " + text.transfer_encoding + "\r\n\r\n";
    out += text.data;
    // The body ends with a line break; quoted-printable text already ending in
    // one keeps just that.
    if (!text.data.ends_with("\r\n")) out += "\r\n";
    return out;
  }
  const EncodedBody html = EncodeBody(message.html);
  std::string boundary;
  do {
    auto candidate = RandomBoundary();
    if (!candidate.ok()) return Error{candidate.error()};
    boundary = std::move(candidate).value();
  } while (text.data.find(boundary) != std::string::npos || html.data.find(boundary) != std::string::npos);

  out += FoldHeader("Content-Type", "multipart/alternative; boundary=\"" + boundary + "\"");
  out += "\r\n";
  for (const EncodedBody* part : {&text, &html}) {
    out += "--" + boundary + "\r\n";
    out += std::string("Content-Type: ") + (part == &text ? "text/plain" : "text/html") + "; charset=utf-8\r\n";
    out += "Content-Transfer-Encoding: " + part->transfer_encoding + "\r\n\r\n";
    out += part->data + "\r\n";
  }
  out += "--" + boundary + "--\r\n";
  return out;
}

}  // namespace herald::dispatch
