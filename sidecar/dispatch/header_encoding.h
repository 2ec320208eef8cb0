#pragma once
// Writing header fields safely: RFC 2047 encoded-words for non-ASCII text,
// RFC 5322 quoting for display names, and folding so no line exceeds 998
// characters (and, where the text allows, 78). Every function here removes or
// encodes CR and LF, so message data can never end a header line and start a
// new header (header injection), whatever the caller passes.
#include <string>
#include <string_view>

namespace herald::dispatch {

// Returns `text` with each CR, LF, other C0 control character and DEL replaced
// by one space (a CRLF pair counts as one). Never fails.
[[nodiscard]] std::string NeutraliseControls(std::string_view text);

// Returns `utf8` as RFC 2047 "B" encoded-words (=?UTF-8?B?...?=) separated by
// single spaces, which decoders drop between encoded-words (RFC 2047 6.2) and
// the folder may break at. Each word is at most 60 characters (RFC 2047 2
// allows 75; 60 fits beside a header name within 78) and holds whole UTF-8
// sequences only, so each decodes on its own. B rather than
// Q because its rules are the same in every header context (Q has a smaller
// alphabet inside phrases, RFC 2047 5). Expects valid UTF-8; bytes are encoded
// as given. Empty input gives "".
[[nodiscard]] std::string EncodeWords(std::string_view utf8);

// Returns unstructured text (Subject, X-* values) ready for FoldHeader: as is
// when it is printable ASCII with no "=?" (which a reader could take for an
// encoded-word) and no run longer than 75 characters without a space (so it
// can fold); otherwise all of it as encoded-words. Controls are neutralised
// first. Never fails.
[[nodiscard]] std::string EncodeUnstructured(std::string_view utf8);

// Returns a display name as an RFC 5322 phrase: as is when it is only atoms
// and spaces, a quoted-string (with \" and \\ escaped) when it holds other
// printable ASCII such as , . @ (, and encoded-words when it is not ASCII,
// contains "=?" (readers decode encoded-words even inside quotes) or has a run
// too long to fold. Controls are neutralised first. Empty input gives "".
// Never fails.
[[nodiscard]] std::string EncodePhrase(std::string_view utf8);

// Returns "name: value" CRLF, folded (RFC 5322 2.2.3) by putting CRLF before a
// space that precedes a non-space, greedily so lines stay within 78 characters
// where break points allow; the first word stays on the name's line. A folded
// line is never whitespace only. Controls in `value` are neutralised first.
// Lines exceed 998 characters only if a single unbreakable run does; the
// encoders above never produce one.
[[nodiscard]] std::string FoldHeader(std::string_view name, std::string_view value);

}  // namespace herald::dispatch
