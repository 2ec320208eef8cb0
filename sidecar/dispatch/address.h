#pragma once
// Mailboxes as Herald receives them: the channel's `from`
// ("Herald <herald@example.com>"), its default `to` list and the envelope's
// email recipients ("ops@example.com"). Parsing is deliberately stricter than
// RFC 5322: these strings end up in SMTP commands and header lines, so
// anything that could break either (CR, LF, other controls, stray <>, commas
// or quotes in the address) is rejected with a reason instead of guessed at.
#include <string>
#include <string_view>

#include "herald/result.h"

namespace herald::dispatch {

struct Mailbox {
  std::string display_name;  // UTF-8, unquoted and unescaped; empty when none
  std::string local_part;    // dot-atom, ASCII
  std::string domain;        // LDH labels, ASCII

  // Returns "local_part@domain": the form for SMTP MAIL FROM / RCPT TO.
  [[nodiscard]] std::string address() const { return local_part + "@" + domain; }
};

// Returns the mailbox in `text`, which is one of
//   user@host                 <user@host>
//   Name <user@host>          "Name, with specials" <user@host>
// (surrounding whitespace ignored; a quoted name may use \" and \\). Returns
// an Error naming the input (controls escaped) and the reason when: it is
// empty; it contains a control character (CR and LF included; header
// injection); the name is not valid UTF-8, has an unbalanced or stray '"', or
// contains '<' or '>' outside quotes; text follows the closing '>'; the
// address lacks '@'; the local part is not a dot-atom of at most 64 ASCII
// characters (quoted local parts and SMTPUTF8 are not supported); the domain
// is not dot-separated letters/digits/hyphens labels of 1-63 characters (255
// in all; domain literals and non-ASCII names are not supported: give
// punycode); or the address exceeds 254 characters.
[[nodiscard]] Result<Mailbox> ParseMailbox(std::string_view text);

// Returns OkStatus when a Mailbox built by other means than ParseMailbox
// meets the same rules: display name valid UTF-8 without control characters,
// address as ParseMailbox accepts it. Otherwise an Error with the reason.
[[nodiscard]] Status ValidateMailbox(const Mailbox& mailbox);

// Returns true when `text` is an RFC 5322 dot-atom-text: atext characters in
// dot-separated, non-empty runs.
[[nodiscard]] bool IsDotAtom(std::string_view text);

// Returns the mailbox for a From/To header: "phrase <user@host>", or the bare
// address when it has no display name. The phrase is quoted or encoded as
// EncodePhrase does. Never fails.
[[nodiscard]] std::string FormatMailbox(const Mailbox& mailbox);

}  // namespace herald::dispatch
