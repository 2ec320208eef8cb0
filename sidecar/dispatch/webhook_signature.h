#pragma once
// Standard Webhooks signing (https://www.standardwebhooks.com, spec 1.0.0,
// symmetric scheme): the sender adds
//   webhook-id:        a stable id per message (Herald: the envelope's globalId)
//   webhook-timestamp: unix seconds of this attempt
//   webhook-signature: "v1," + base64(HMAC-SHA256(key, id "." timestamp "." body))
// Sign is used by the webhook sender, Verify by the test webhook sink (and
// anyone who wants to check what Herald sends).
//
// Secrets: a secret starting with "whsec_" is the spec's serialisation, so the
// rest is base64-decoded to get the key. Any other secret is used as raw key
// bytes (the reference libraries' "raw" mode), so a plain password stored in a
// Kubernetes Secret works as users expect. Note the reference libraries'
// default constructor also base64-decodes unprefixed secrets; users of those
// libraries should give Herald the "whsec_"-prefixed form.
#include <chrono>
#include <string>
#include <string_view>
#include <utility>

#include "herald/result.h"

namespace herald::dispatch {

inline constexpr std::string_view kWebhookIdHeader = "webhook-id";
inline constexpr std::string_view kWebhookTimestampHeader = "webhook-timestamp";
inline constexpr std::string_view kWebhookSignatureHeader = "webhook-signature";

// Receivers' default replay window, as in the reference libraries.
inline constexpr std::chrono::seconds kDefaultWebhookTolerance{300};

// The values of the three headers, in the order of the k*Header names above.
struct WebhookSignatureHeaders {
  std::string id;
  std::string timestamp;
  std::string signature;
};

// Holds one decoded signing key; built once per channel, then shared (all
// methods are const and thread-safe).
class WebhookSigner {
 public:
  // Returns a signer for `secret` (see the file comment for its two forms), or
  // an Error when the secret is empty, or starts with "whsec_" and the rest is
  // empty or not valid base64. The error never contains the secret.
  [[nodiscard]] static Result<WebhookSigner> Create(std::string_view secret);

  // Returns the webhook-signature value "v1,<base64>" for the exact bytes of
  // `body`, or an Error when `id` is empty or contains '.', whitespace or
  // control characters (the spec forbids '.' because it delimits the signed
  // content; the rest would corrupt an HTTP header), or when OpenSSL refuses
  // the HMAC (e.g. a too-short key in FIPS mode).
  [[nodiscard]] Result<std::string> Sign(std::string_view id, std::chrono::system_clock::time_point timestamp,
                                         std::string_view body) const;

  // Returns all three header values (timestamp truncated to whole seconds), or
  // the same Errors as Sign.
  [[nodiscard]] Result<WebhookSignatureHeaders> Headers(std::string_view id,
                                                        std::chrono::system_clock::time_point timestamp,
                                                        std::string_view body) const;

  // Returns OkStatus when `headers.signature` (a space-separated list, so keys
  // can be rotated) holds a "v1," signature of `body` made with this key, and
  // the timestamp lies within `tolerance` of `now` on either side. Otherwise an
  // Error saying which: a missing header, a timestamp that is not decimal unix
  // seconds, too old, too new, or no matching signature. Signatures are
  // compared in constant time.
  [[nodiscard]] Status Verify(const WebhookSignatureHeaders& headers, std::string_view body,
                              std::chrono::system_clock::time_point now,
                              std::chrono::seconds tolerance = kDefaultWebhookTolerance) const;

 private:
  explicit WebhookSigner(std::string key) : key_(std::move(key)) {}
  [[nodiscard]] Result<std::string> SignSeconds(std::string_view id, long long unix_seconds,
                                                std::string_view body) const;

  std::string key_;
};

}  // namespace herald::dispatch
