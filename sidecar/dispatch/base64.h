#pragma once
// Base64 (RFC 4648 standard alphabet, padded) on top of OpenSSL's
// EVP_EncodeBlock/EVP_DecodeBlock. Those work on whole 4-character blocks and
// count padding as decoded bytes; these wrappers hide both quirks so callers
// get exact lengths and a reason when input is malformed.
#include <cstddef>
#include <string>
#include <string_view>

#include "herald/result.h"

namespace herald::dispatch {

// Returns the padded base64 of `data` on a single line. Never fails.
[[nodiscard]] std::string Base64Encode(std::string_view data);

// Returns the base64 of `data` as CRLF-terminated lines of at most
// `line_length` characters (rounded down to a multiple of 4, at least 4), the
// shape MIME bodies need (RFC 2045 6.8: at most 76). Empty input gives "".
[[nodiscard]] std::string Base64EncodeLines(std::string_view data, std::size_t line_length = 76);

// Returns the decoded bytes, or an Error naming the problem when `text` holds a
// character outside the standard alphabet (whitespace included), an '=' that
// is not trailing padding, or a length no base64 text can have. Missing
// trailing padding is accepted because secrets are often shared unpadded.
[[nodiscard]] Result<std::string> Base64Decode(std::string_view text);

}  // namespace herald::dispatch
