#pragma once
// Turns one envelope into the request that delivers it, for the channel's
// kind: render the Template, then build the HTTP POST (Slack, Teams, signed
// webhook) or the SMTP transaction (MIME message, recipients). Pure apart
// from LoadSecrets, so every decision here is unit-tested.
#include <chrono>
#include <map>
#include <optional>
#include <string>

#include "config/sidecar_config.h"
#include "dispatch/dispatcher.h"
#include "dispatch/webhook_signature.h"
#include "herald/envelope.h"
#include "herald/result.h"

namespace herald::sidecar {

// Credentials read from the mounted Secret files named in the config.
struct Secrets {
  std::string url;  // slack / teams / webhook target
  std::string signing_secret;
  std::string smtp_username, smtp_password;
  std::map<std::string, std::string> headers;  // webhook headers from webhook.headersDir
};

// Reads every file the config names. Returns the secrets, or an error naming
// the config key and the file ("slack.webhookURLFile: cannot read /x").
[[nodiscard]] Result<Secrets> LoadSecrets(const config::SidecarConfig& cfg);

// Checks once, at start-up, what does not depend on the message: the target
// URL's scheme, the signing secret, the `from` address.
[[nodiscard]] Status ValidateStatic(const config::SidecarConfig& cfg, const Secrets& secrets);

// Builds the request for `envelope` (token left 0 for the caller to set).
// Returns it, or an error that makes the message an `invalid` dead letter:
// content version not accepted, render failure, no recipients, bad recipient.
[[nodiscard]] Result<dispatch::DispatchRequest> Prepare(const config::SidecarConfig& cfg, const Secrets& secrets,
                                                        const Envelope& envelope,
                                                        std::chrono::system_clock::time_point now);

}  // namespace herald::sidecar
