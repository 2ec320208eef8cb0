#pragma once
// Quoted-printable body encoding (RFC 2045 6.7). Chosen for mostly-ASCII text
// because it stays readable in raw mail and keeps every line within 76
// characters whatever the template produced.
#include <string>
#include <string_view>

namespace herald::dispatch {

// Returns `text` with every line break (CRLF, lone LF or lone CR) written as
// CRLF: the canonical form of text/* bodies (RFC 2046 4.1.1). Never fails.
[[nodiscard]] std::string NormalizeLineBreaks(std::string_view text);

// Returns the quoted-printable encoding of `text`, whose line breaks must be
// CRLF (see NormalizeLineBreaks); CRLF pairs become hard line breaks and any
// other CR or LF is encoded. Output is 7-bit, every line is at most 76
// characters (soft breaks "=" CRLF as needed, never inside an "=XX"), and
// whitespace at a line end is encoded so transports cannot strip it. Never
// fails.
[[nodiscard]] std::string QuotedPrintableEncode(std::string_view text);

}  // namespace herald::dispatch
