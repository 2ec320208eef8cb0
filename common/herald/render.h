#pragma once
// Templates: a Template resource's spec (contracts.md, "Resource shapes"),
// rendered with Mustache against the whole envelope into what each channel
// kind sends. Everything here is pure; the sidecar turns an Error from a
// render into an `invalid` dead letter, the operator turns one from
// ParseTemplateSpec or RenderSample into the Template's Ready=False.
//
// Escaping of {{values}} follows where the output goes ({{{raw}}} and
// {{&raw}} never escape; use them only for trusted values):
//   email subject  none; control characters (CR, LF, ...) become one space
//   email text     none
//   email html     HTML (& < > " ')
//   slack          JSON string content; additionally Slack's & < > entities in
//                  the fallback text and in "mrkdwn" text objects, so a value
//                  can neither break the JSON nor inject <!channel> mentions
//                  or links (URL fields such as a button's "url" keep a raw &)
//   teams, webhook JSON string content
// Values: numbers print naturally (10500, 1.5); null and missing names render
// nothing; booleans drive sections but {{flag}} itself renders nothing (kainjow
// does not print booleans): write {{#flag}}true{{/flag}}{{^flag}}false{{/flag}}.
// Arrays are lists: {{#toUserIds}}{{.}} {{/toUserIds}}.
// Partials ({{>name}}) are not supported and render nothing.
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "herald/envelope.h"
#include "herald/result.h"

namespace herald {

enum class ChannelKind { kEmail, kSlack, kTeams, kWebhook };

inline constexpr ChannelKind kAllChannelKinds[] = {ChannelKind::kEmail, ChannelKind::kSlack, ChannelKind::kTeams,
                                                   ChannelKind::kWebhook};

// "email" | "slack" | "teams" | "webhook".
[[nodiscard]] std::string_view ChannelKindName(ChannelKind kind);
// Returns the kind for its name, or an Error listing the valid names.
[[nodiscard]] Result<ChannelKind> ParseChannelKind(std::string_view name);

// A Template's spec. An empty string means "not set".
struct TemplateSpec {
  int content_version = 1;  // accepted content major version
  std::string subject;
  std::string text;
  std::string html;
  struct Slack {
    std::string text;    // fallback text; default: spec.text, then spec.subject
    std::string blocks;  // renders to a JSON array of Block Kit blocks
  } slack;
  struct Teams {
    std::string card;  // renders to an Adaptive Card object; default: built from subject and text
  } teams;
  struct Webhook {
    std::string body;  // renders to any JSON value; default: the envelope as received
  } webhook;
  std::optional<nlohmann::json> sample;  // an example envelope
};

// Parses a Template's `spec` object and checks each template's Mustache syntax
// (never its output; see RenderSample). Unknown fields are ignored.
// Returns the spec, or an Error naming the field path, e.g.
// "spec.slack.blocks: must be a string, got array",
// "spec.subject: invalid Mustache: Unclosed tag at 10".
[[nodiscard]] Result<TemplateSpec> ParseTemplateSpec(const nlohmann::json& spec);

// Returns OkStatus() when `spec` can render for channels of `kind`; otherwise
// an Error saying which fields are missing (email needs spec.subject and
// spec.text or spec.html; slack and teams need some text; webhook always works).
[[nodiscard]] Status Supports(const TemplateSpec& spec, ChannelKind kind);

struct EmailContent {
  std::string subject;  // single line
  std::string text;     // empty when the template has no text part
  std::string html;     // empty when the template has no HTML part
};

// Each returns the rendered output, or an Error naming the template field and
// what is wrong with it (unsupported kind, output not valid JSON, a Slack
// limit exceeded, render limits exceeded). None checks the content version.
[[nodiscard]] Result<EmailContent> RenderEmail(const TemplateSpec& spec, const Envelope& envelope);
// The incoming-webhook payload: {"text": fallback, "blocks": [...]}; "blocks"
// is left out when the template has none or they render to [].
[[nodiscard]] Result<std::string> RenderSlack(const TemplateSpec& spec, const Envelope& envelope);
// The card wrapped as Teams workflow webhooks expect: {"type":"message",
// "attachments":[{"contentType":"application/vnd.microsoft.card.adaptive",
// "contentUrl":null,"content":<card>}]}.
[[nodiscard]] Result<std::string> RenderTeams(const TemplateSpec& spec, const Envelope& envelope);
// The rendered body, or the envelope exactly as received.
[[nodiscard]] Result<std::string> RenderWebhook(const TemplateSpec& spec, const Envelope& envelope);

struct Rendered {
  ChannelKind kind = ChannelKind::kWebhook;
  EmailContent email;  // kind == kEmail
  std::string body;    // JSON request body for the other kinds
};

// What the sidecar calls per message: checks the content major version against
// spec.content_version, then renders for `kind`.
// Returns the output, or an Error (version mismatch or any render error above).
[[nodiscard]] Result<Rendered> Render(const TemplateSpec& spec, ChannelKind kind, const Envelope& envelope);

// What a Template's sample renders to, for each kind the template supports
// (nullopt for kinds it does not support).
struct SampleRendering {
  std::optional<EmailContent> email;
  std::optional<std::string> slack;
  std::optional<std::string> teams;
  std::optional<std::string> webhook;
};

// Validates spec.sample as an envelope whose content version the template
// accepts, and renders it for every supported kind.
// Returns the renderings, or the first Error, prefixed with "spec.sample"
// for a bad sample, e.g. "spec.sample.createdAt: ...", or naming the template
// field whose output is bad, e.g. "spec.slack.blocks: rendered output is not valid JSON: ...".
[[nodiscard]] Result<SampleRendering> RenderSample(const TemplateSpec& spec);

}  // namespace herald
