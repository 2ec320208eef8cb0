#include "dispatch/address.h"

#include <cstdio>

#include "dispatch/header_encoding.h"
#include "dispatch/utf8.h"

namespace herald::dispatch {
namespace {

constexpr std::size_t kMaxLocalPart = 64;  // RFC 5321 4.5.3.1.1
constexpr std::size_t kMaxDomain = 255;    // RFC 5321 4.5.3.1.2
constexpr std::size_t kMaxLabel = 63;      // RFC 1035 2.3.4
constexpr std::size_t kMaxAddress = 254;   // RFC 5321 path limit (256) minus the angle brackets

bool IsAtext(char c) {
  if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-/=?^_`{|}~").find(c) != std::string_view::npos;
}

bool IsLdh(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'; }

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Returns `text` printable in an error message: controls as \r, \n, \xNN.
std::string Escaped(std::string_view text) {
  std::string out;
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '\r') {
      out += "\\r";
    } else if (c == '\n') {
      out += "\\n";
    } else if (u < 0x20 || u == 0x7F) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02X", u);
      out += buf;
    } else {
      out += c;
    }
  }
  return out;
}

Status CheckDomain(std::string_view domain) {
  if (domain.empty()) return Error{"the domain after '@' is empty"};
  if (domain.front() == '[') return Error{"domain literals like [192.0.2.1] are not supported"};
  if (domain.size() > kMaxDomain) return Error{"the domain is longer than 255 characters"};
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = domain.find('.', start);
    const std::string_view label = domain.substr(start, dot == std::string_view::npos ? dot : dot - start);
    if (label.empty()) return Error{"the domain has an empty label (leading, trailing or double '.')"};
    if (label.size() > kMaxLabel) return Error{"a domain label is longer than 63 characters"};
    for (char c : label) {
      if (static_cast<unsigned char>(c) >= 0x80) {
        return Error{"the domain is not ASCII; give internationalized names in punycode (xn--) form"};
      }
      if (!IsLdh(c)) return Error{std::string("the domain contains '") + c + "'"};
    }
    if (label.front() == '-' || label.back() == '-') return Error{"a domain label starts or ends with '-'"};
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return OkStatus();
}

Status CheckLocalPart(std::string_view local) {
  if (local.empty()) return Error{"the part before '@' is empty"};
  if (local.front() == '"') return Error{"quoted local parts are not supported"};
  if (local.size() > kMaxLocalPart) return Error{"the part before '@' is longer than 64 characters"};
  for (char c : local) {
    if (static_cast<unsigned char>(c) >= 0x80) return Error{"non-ASCII local parts (SMTPUTF8) are not supported"};
    if (!IsAtext(c) && c != '.') return Error{std::string("the part before '@' contains '") + c + "'"};
  }
  if (!IsDotAtom(local)) return Error{"the part before '@' has a leading, trailing or double '.'"};
  return OkStatus();
}

Status CheckAddress(std::string_view addr) {
  const std::size_t at = addr.rfind('@');
  if (at == std::string_view::npos) return Error{"no '@' in the address"};
  if (auto st = CheckLocalPart(addr.substr(0, at)); !st.ok()) return st;
  if (auto st = CheckDomain(addr.substr(at + 1)); !st.ok()) return st;
  if (addr.size() > kMaxAddress) return Error{"the address is longer than 254 characters"};
  return OkStatus();
}

// Returns the display name from the text before '<': a quoted-string with its
// quotes and escapes removed, or the trimmed text itself.
Result<std::string> ParseDisplayName(std::string_view raw) {
  const std::string_view name = Trim(raw);
  if (!IsValidUtf8(name)) return Error{"the display name is not valid UTF-8"};
  if (name.empty() || name.front() != '"') {
    if (name.find('"') != std::string_view::npos)
      return Error{"the display name has a stray '\"'; quote the whole name"};
    return std::string(name);
  }
  std::string out;
  std::size_t i = 1;
  for (; i < name.size() && name[i] != '"'; ++i) {
    if (name[i] == '\\') {
      if (++i == name.size()) break;
    }
    out += name[i];
  }
  if (i >= name.size()) return Error{"the display name's quotes are not closed"};
  if (i + 1 != name.size()) return Error{"text follows the display name's closing '\"'"};
  return out;
}

}  // namespace

bool IsDotAtom(std::string_view text) {
  if (text.empty() || text.front() == '.' || text.back() == '.') return false;
  char prev = 0;
  for (char c : text) {
    if (c == '.' ? prev == '.' : !IsAtext(c)) return false;
    prev = c;
  }
  return true;
}

Result<Mailbox> ParseMailbox(std::string_view input) {
  const auto fail = [&](const std::string& reason) {
    return Error{"invalid email address \"" + Escaped(input) + "\": " + reason};
  };
  for (char c : input) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7F) {
      return fail(c == '\r' || c == '\n' ? "contains a line break (CR or LF)" : "contains a control character");
    }
  }
  const std::string_view text = Trim(input);
  if (text.empty()) return fail("it is empty");

  Mailbox mailbox;
  std::string_view addr = text;
  // The '<' that opens the address is the last one outside quotes; '>' must
  // then end the text.
  const std::size_t close = text.rfind('>');
  const std::size_t open = text.rfind('<');
  if (open != std::string_view::npos || close != std::string_view::npos) {
    if (open == std::string_view::npos || close == std::string_view::npos || close < open) {
      return fail("unbalanced '<' and '>'");
    }
    if (close + 1 != text.size()) return fail("text follows the closing '>'");
    auto name = ParseDisplayName(text.substr(0, open));
    if (!name.ok()) return fail(name.error());
    const std::string_view raw_name = Trim(text.substr(0, open));
    const bool quoted = !raw_name.empty() && raw_name.front() == '"';
    if (!quoted && name->find_first_of("<>") != std::string::npos) return fail("'<' or '>' in the display name");
    mailbox.display_name = std::move(name).value();
    addr = text.substr(open + 1, close - open - 1);
  }
  if (!addr.empty() && addr.front() == '"') return fail("quoted local parts are not supported");
  // Characters that would split a recipient list or an SMTP command get a
  // reason of their own; CheckAddress rejects everything else that is not
  // allowed.
  if (const std::size_t bad = addr.find_first_of("<>\",; \t"); bad != std::string_view::npos) {
    return fail(std::string("the address contains '") + addr[bad] + "'");
  }
  if (auto st = CheckAddress(addr); !st.ok()) return fail(st.error());
  const std::size_t at = addr.rfind('@');
  mailbox.local_part = std::string(addr.substr(0, at));
  mailbox.domain = std::string(addr.substr(at + 1));
  return mailbox;
}

Status ValidateMailbox(const Mailbox& mailbox) {
  const std::string addr = mailbox.address();
  const auto fail = [&](const std::string& reason) {
    return Error{"invalid email address \"" + Escaped(addr) + "\": " + reason};
  };
  for (char c : mailbox.display_name) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7F) return fail("the display name contains a control character (CR and LF included)");
  }
  if (!IsValidUtf8(mailbox.display_name)) return fail("the display name is not valid UTF-8");
  for (char c : addr) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7F) return fail("the address contains a control character (CR and LF included)");
  }
  if (const std::size_t bad = addr.find_first_of("<>\",; \t"); bad != std::string::npos) {
    return fail(std::string("the address contains '") + addr[bad] + "'");
  }
  if (auto st = CheckAddress(addr); !st.ok()) return fail(st.error());
  // CheckAddress splits at the last '@'; a local part holding '@' is caught there.
  return OkStatus();
}

std::string FormatMailbox(const Mailbox& mailbox) {
  if (mailbox.display_name.empty()) return mailbox.address();
  return EncodePhrase(mailbox.display_name) + " <" + mailbox.address() + ">";
}

}  // namespace herald::dispatch
