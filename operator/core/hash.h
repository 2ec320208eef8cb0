#pragma once
// Digests and encodings the desired-state builders need: SHA-256 for config
// hashes and name truncation, base64 for Secret data. Pure functions over
// OpenSSL's one-shot primitives (no global state, no I/O).
#include <string>
#include <string_view>

namespace herald::op {

// Returns the SHA-256 of `data` as 64 lower-case hexadecimal characters.
// OpenSSL's one-shot SHA256 cannot fail for in-memory input, so there is no
// error case.
[[nodiscard]] std::string Sha256Hex(std::string_view data);

// Returns `data` in standard base64 with padding (RFC 4648 section 4), the
// encoding of a Secret's `data` values.
[[nodiscard]] std::string Base64Encode(std::string_view data);

}  // namespace herald::op
