#pragma once
// UTF-8 checks for text that goes into email: bodies and headers are
// declared charset=utf-8, so they must really be UTF-8, and encoded-words must
// never split a multi-byte sequence (RFC 2047 5, last paragraph).
#include <cstddef>
#include <string_view>

namespace herald::dispatch {

// Returns the length (1-4) of the well-formed UTF-8 sequence starting at
// `text[pos]`, or 0 when none starts there (bad lead byte, truncated sequence,
// overlong form, surrogate, or a code point above U+10FFFF; RFC 3629).
[[nodiscard]] std::size_t Utf8SequenceLength(std::string_view text, std::size_t pos);

// Returns true when all of `text` is well-formed UTF-8.
[[nodiscard]] bool IsValidUtf8(std::string_view text);

// Returns true when every byte of `text` is below 0x80.
[[nodiscard]] bool IsAscii(std::string_view text);

}  // namespace herald::dispatch
