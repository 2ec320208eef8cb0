#include "dispatch/base64.h"

#include <openssl/evp.h>

#include <algorithm>

namespace herald::dispatch {
namespace {

bool IsBase64Char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/';
}

}  // namespace

std::string Base64Encode(std::string_view data) {
  if (data.empty()) return {};
  std::string out(4 * ((data.size() + 2) / 3) + 1, '\0');  // +1: EVP_EncodeBlock writes a NUL
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(data.data()), static_cast<int>(data.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

std::string Base64EncodeLines(std::string_view data, std::size_t line_length) {
  const std::size_t chars_per_line = std::max<std::size_t>(4, line_length / 4 * 4);
  const std::size_t bytes_per_line = chars_per_line / 4 * 3;
  std::string out;
  out.reserve(4 * ((data.size() + 2) / 3) + 2 * (data.size() / bytes_per_line + 1));
  for (std::size_t pos = 0; pos < data.size(); pos += bytes_per_line) {
    out += Base64Encode(data.substr(pos, bytes_per_line));
    out += "\r\n";
  }
  return out;
}

Result<std::string> Base64Decode(std::string_view text) {
  std::size_t padding = 0;
  while (padding < 2 && padding < text.size() && text[text.size() - 1 - padding] == '=') ++padding;
  const std::string_view body = text.substr(0, text.size() - padding);
  for (std::size_t i = 0; i < body.size(); ++i) {
    if (!IsBase64Char(body[i])) {
      return Error{"invalid base64: unexpected character at offset " + std::to_string(i)};
    }
  }
  if (body.size() % 4 == 1) return Error{"invalid base64: length " + std::to_string(text.size()) + " is impossible"};
  // Padding, when present, must complete the last block exactly.
  const std::size_t missing = (4 - body.size() % 4) % 4;
  if (padding != 0 && padding != missing) return Error{"invalid base64: wrong amount of '=' padding"};
  if (body.empty()) return std::string{};

  std::string padded(body);
  padded.append(missing, '=');
  std::string out(padded.size() / 4 * 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(padded.data()), static_cast<int>(padded.size()));
  if (n < 0) return Error{"invalid base64"};
  // EVP_DecodeBlock counts each '=' as a zero byte of output.
  out.resize(static_cast<std::size_t>(n) - missing);
  return out;
}

}  // namespace herald::dispatch
