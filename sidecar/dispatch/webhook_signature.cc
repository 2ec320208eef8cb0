#include "dispatch/webhook_signature.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <charconv>

#include "dispatch/base64.h"

namespace herald::dispatch {
namespace {

constexpr std::string_view kSecretPrefix = "whsec_";
constexpr std::string_view kVersion = "v1,";

long long UnixSeconds(std::chrono::system_clock::time_point t) {
  return std::chrono::floor<std::chrono::seconds>(t.time_since_epoch()).count();
}

Status CheckId(std::string_view id) {
  if (id.empty()) return Error{"webhook id is empty"};
  for (char c : id) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '.') return Error{"webhook id must not contain '.' (it delimits the signed content)"};
    if (u <= 0x20 || u == 0x7F) return Error{"webhook id must not contain whitespace or control characters"};
  }
  return OkStatus();
}

// Returns the seconds in `text` when it is 1-18 decimal digits, else an Error.
Result<long long> ParseTimestamp(std::string_view text) {
  if (text.empty() || text.size() > 18) return Error{"webhook-timestamp is not unix seconds"};
  long long value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || text[0] == '-' || text[0] == '+') {
    return Error{"webhook-timestamp is not unix seconds"};
  }
  return value;
}

}  // namespace

Result<WebhookSigner> WebhookSigner::Create(std::string_view secret) {
  if (secret.empty()) return Error{"webhook signing secret is empty"};
  if (!secret.starts_with(kSecretPrefix)) return WebhookSigner(std::string(secret));
  auto key = Base64Decode(secret.substr(kSecretPrefix.size()));
  if (!key.ok()) return Error{"webhook signing secret starts with \"whsec_\" but the rest is not base64"};
  if (key->empty()) return Error{"webhook signing secret \"whsec_\" holds an empty key"};
  return WebhookSigner(std::move(key).value());
}

Result<std::string> WebhookSigner::SignSeconds(std::string_view id, long long unix_seconds,
                                               std::string_view body) const {
  if (auto st = CheckId(id); !st.ok()) return Error{st.error()};
  std::string content;
  content.reserve(id.size() + body.size() + 24);
  content.append(id).append(".").append(std::to_string(unix_seconds)).append(".").append(body);

  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  if (HMAC(EVP_sha256(), key_.data(), static_cast<int>(key_.size()),
           reinterpret_cast<const unsigned char*>(content.data()), content.size(), mac, &mac_len) == nullptr) {
    return Error{"HMAC-SHA256 failed (OpenSSL refused the key)"};
  }
  return std::string(kVersion) + Base64Encode(std::string_view(reinterpret_cast<const char*>(mac), mac_len));
}

Result<std::string> WebhookSigner::Sign(std::string_view id, std::chrono::system_clock::time_point timestamp,
                                        std::string_view body) const {
  return SignSeconds(id, UnixSeconds(timestamp), body);
}

Result<WebhookSignatureHeaders> WebhookSigner::Headers(std::string_view id,
                                                       std::chrono::system_clock::time_point timestamp,
                                                       std::string_view body) const {
  const long long seconds = UnixSeconds(timestamp);
  auto signature = SignSeconds(id, seconds, body);
  if (!signature.ok()) return Error{signature.error()};
  return WebhookSignatureHeaders{std::string(id), std::to_string(seconds), std::move(signature).value()};
}

Status WebhookSigner::Verify(const WebhookSignatureHeaders& headers, std::string_view body,
                             std::chrono::system_clock::time_point now, std::chrono::seconds tolerance) const {
  if (headers.id.empty()) return Error{"missing webhook-id header"};
  if (headers.timestamp.empty()) return Error{"missing webhook-timestamp header"};
  if (headers.signature.empty()) return Error{"missing webhook-signature header"};
  auto seconds = ParseTimestamp(headers.timestamp);
  if (!seconds.ok()) return Error{seconds.error()};
  const long long now_seconds = UnixSeconds(now);
  if (now_seconds - *seconds > tolerance.count()) return Error{"webhook-timestamp is too old"};
  if (*seconds - now_seconds > tolerance.count()) return Error{"webhook-timestamp is too new"};

  auto expected = SignSeconds(headers.id, *seconds, body);
  if (!expected.ok()) return Error{expected.error()};
  std::string_view list = headers.signature;
  while (!list.empty()) {
    const std::size_t space = list.find(' ');
    const std::string_view candidate = list.substr(0, space);
    list = space == std::string_view::npos ? std::string_view{} : list.substr(space + 1);
    // Other versions (e.g. "v1a," asymmetric) are skipped, as the spec asks.
    if (candidate.size() == expected->size() && candidate.starts_with(kVersion) &&
        CRYPTO_memcmp(candidate.data(), expected->data(), candidate.size()) == 0) {
      return OkStatus();
    }
  }
  return Error{"no matching v1 signature in webhook-signature"};
}

}  // namespace herald::dispatch
