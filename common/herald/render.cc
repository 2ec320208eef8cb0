#include "herald/render.h"

#include <climits>
#include <utility>

#include "herald/envelope_json.h"
#include "herald/render_mustache.h"
#include "herald/render_slack.h"

namespace herald {
namespace {

namespace mustache = kainjow::mustache;
namespace ri = render_internal;
using nlohmann::json;

// Deep enough for any real card or block list; bounds the recursion of
// serialising and checking rendered JSON.
constexpr int kMaxOutputDepth = 64;

constexpr const char* kAdaptiveCardContentType = "application/vnd.microsoft.card.adaptive";
constexpr const char* kAdaptiveCardSchema = "http://adaptivecards.io/schemas/adaptive-card.json";

Result<std::string> RenderField(const std::string& path, const std::string& tmpl, const mustache::data& data,
                                const ri::Escaper& escape) {
  auto out = ri::RenderMustache(tmpl, data, escape);
  if (!out) return Error{path + ": " + out.error()};
  return out;
}

// The words after "rendered output" for a json_util::Parse/Check error.
std::string OutputProblem(const std::string& error) {
  if (error.rfind("nests ", 0) == 0) return error;
  return "is not valid JSON: " + error;
}

Result<json> ParseOutput(const std::string& path, const std::string& text) {
  auto value = json_util::Parse(text, kMaxOutputDepth);
  if (!value) return Error{path + ": rendered output " + OutputProblem(value.error())};
  return value;
}

Result<json> RenderJson(const std::string& path, const std::string& tmpl, const mustache::data& data,
                        const ri::Escaper& escape) {
  auto text = RenderField(path, tmpl, data, escape);
  if (!text) return Error{text.error()};
  return ParseOutput(path, *text);
}

// Header values must stay on one line; runs of control characters (CR, LF,
// TAB, ...) become one space, and the ends are trimmed.
std::string OneLine(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  bool gap = false;
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f || c == ' ') {
      gap = true;
      continue;
    }
    if (gap && !out.empty()) out += ' ';
    gap = false;
    out += c;
  }
  return out;
}

bool IsBlank(const std::string& s) { return s.find_first_not_of(" \t\r\n") == std::string::npos; }

std::string SlackValueEscape(const std::string& value) { return ri::JsonStringEscape(ri::SlackEscape(value)); }

// Where the Slack fallback text comes from, in order of preference.
std::pair<std::string, const std::string*> SlackFallbackSource(const TemplateSpec& spec) {
  if (!spec.slack.text.empty()) return {"spec.slack.text", &spec.slack.text};
  if (!spec.text.empty()) return {"spec.text", &spec.text};
  return {"spec.subject", &spec.subject};
}

Status OptionalString(const json& object, const char* key, const std::string& path, std::string* out) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return OkStatus();
  if (!it->is_string()) return Error{path + ": must be a string, got " + json_util::TypeName(*it)};
  *out = it->get<std::string>();
  return OkStatus();
}

// Returns the sub-object at `key` (nullptr when absent), or an Error.
Result<const json*> OptionalObject(const json& object, const char* key, const std::string& path) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return static_cast<const json*>(nullptr);
  if (!it->is_object()) return Error{path + ": must be an object, got " + json_util::TypeName(*it)};
  return &*it;
}

}  // namespace

std::string_view ChannelKindName(ChannelKind kind) {
  switch (kind) {
    case ChannelKind::kEmail:
      return "email";
    case ChannelKind::kSlack:
      return "slack";
    case ChannelKind::kTeams:
      return "teams";
    case ChannelKind::kWebhook:
      return "webhook";
  }
  return "unknown";
}

Result<ChannelKind> ParseChannelKind(std::string_view name) {
  for (ChannelKind kind : kAllChannelKinds) {
    if (ChannelKindName(kind) == name) return kind;
  }
  return Error{"unknown channel type " + json_util::QuoteForReason(name) + "; expected email, slack, teams or webhook"};
}

Result<TemplateSpec> ParseTemplateSpec(const json& spec) {
  if (!spec.is_object()) return Error{"spec: must be an object, got " + json_util::TypeName(spec)};
  TemplateSpec out;
  if (auto it = spec.find("contentVersion"); it != spec.end() && !it->is_null()) {
    const bool integer = it->is_number_unsigned() || (it->is_number_integer() && it->get<int64_t>() >= 0);
    if (!integer || it->get<uint64_t>() > static_cast<uint64_t>(INT_MAX)) {
      return Error{"spec.contentVersion: must be a non-negative integer, got " + json_util::TypeName(*it) + " " +
                   it->dump()};
    }
    out.content_version = it->get<int>();
  }

  struct StringField {
    const char* key;
    std::string* target;
  };
  const auto read = [](const json& object, const std::string& prefix, std::initializer_list<StringField> fields) {
    for (const auto& f : fields) {
      if (auto s = OptionalString(object, f.key, prefix + f.key, f.target); !s) return s;
    }
    return OkStatus();
  };
  if (auto s = read(spec, "spec.", {{"subject", &out.subject}, {"text", &out.text}, {"html", &out.html}}); !s) {
    return Error{s.error()};
  }
  auto slack = OptionalObject(spec, "slack", "spec.slack");
  if (!slack) return Error{slack.error()};
  if (*slack != nullptr) {
    if (auto s = read(**slack, "spec.slack.", {{"text", &out.slack.text}, {"blocks", &out.slack.blocks}}); !s) {
      return Error{s.error()};
    }
  }
  auto teams = OptionalObject(spec, "teams", "spec.teams");
  if (!teams) return Error{teams.error()};
  if (*teams != nullptr) {
    if (auto s = read(**teams, "spec.teams.", {{"card", &out.teams.card}}); !s) return Error{s.error()};
  }
  auto webhook = OptionalObject(spec, "webhook", "spec.webhook");
  if (!webhook) return Error{webhook.error()};
  if (*webhook != nullptr) {
    if (auto s = read(**webhook, "spec.webhook.", {{"body", &out.webhook.body}}); !s) return Error{s.error()};
  }
  auto sample = OptionalObject(spec, "sample", "spec.sample");
  if (!sample) return Error{sample.error()};
  if (*sample != nullptr) out.sample = **sample;

  const std::pair<const char*, const std::string*> templates[] = {{"spec.subject", &out.subject},
                                                                  {"spec.text", &out.text},
                                                                  {"spec.html", &out.html},
                                                                  {"spec.slack.text", &out.slack.text},
                                                                  {"spec.slack.blocks", &out.slack.blocks},
                                                                  {"spec.teams.card", &out.teams.card},
                                                                  {"spec.webhook.body", &out.webhook.body}};
  for (const auto& [path, tmpl] : templates) {
    if (tmpl->empty()) continue;
    if (auto s = ri::CheckTemplate(*tmpl); !s) return Error{std::string(path) + ": " + s.error()};
  }
  return out;
}

Status Supports(const TemplateSpec& spec, ChannelKind kind) {
  switch (kind) {
    case ChannelKind::kEmail:
      if (spec.subject.empty()) return Error{"email channels need spec.subject"};
      if (spec.text.empty() && spec.html.empty()) return Error{"email channels need spec.text or spec.html"};
      return OkStatus();
    case ChannelKind::kSlack:
      if (spec.slack.text.empty() && spec.text.empty() && spec.subject.empty()) {
        return Error{"slack channels need fallback text: spec.slack.text, spec.text or spec.subject"};
      }
      return OkStatus();
    case ChannelKind::kTeams:
      if (spec.teams.card.empty() && spec.text.empty() && spec.subject.empty()) {
        return Error{"teams channels need spec.teams.card, spec.text or spec.subject"};
      }
      return OkStatus();
    case ChannelKind::kWebhook:
      return OkStatus();
  }
  return Error{"unknown channel kind"};
}

Result<EmailContent> RenderEmail(const TemplateSpec& spec, const Envelope& envelope) {
  if (auto s = Supports(spec, ChannelKind::kEmail); !s) return Error{s.error()};
  const mustache::data data = ri::ToMustacheData(envelope.json);
  EmailContent out;
  auto subject = RenderField("spec.subject", spec.subject, data, ri::NoEscape);
  if (!subject) return Error{subject.error()};
  out.subject = OneLine(*subject);
  if (!spec.text.empty()) {
    auto text = RenderField("spec.text", spec.text, data, ri::NoEscape);
    if (!text) return Error{text.error()};
    out.text = std::move(*text);
  }
  if (!spec.html.empty()) {
    auto html = RenderField("spec.html", spec.html, data, ri::HtmlEscape);
    if (!html) return Error{html.error()};
    out.html = std::move(*html);
  }
  return out;
}

Result<std::string> RenderSlack(const TemplateSpec& spec, const Envelope& envelope) {
  if (auto s = Supports(spec, ChannelKind::kSlack); !s) return Error{s.error()};
  const mustache::data data = ri::ToMustacheData(envelope.json);
  const auto [text_path, text_template] = SlackFallbackSource(spec);
  auto text = RenderField(text_path, *text_template, data, ri::SlackEscape);
  if (!text) return Error{text.error()};
  if (IsBlank(*text)) return Error{text_path + ": the Slack fallback text renders empty"};
  json payload = json::object();
  payload["text"] = std::move(*text);

  if (!spec.slack.blocks.empty()) {
    // Rendered twice: values Slack-escaped (for mrkdwn text objects) and not
    // (everywhere else, e.g. URLs); the two trees differ only in strings.
    auto plain = RenderJson("spec.slack.blocks", spec.slack.blocks, data, ri::JsonStringEscape);
    if (!plain) return Error{plain.error()};
    auto escaped = RenderJson("spec.slack.blocks", spec.slack.blocks, data, SlackValueEscape);
    if (!escaped) return Error{escaped.error()};
    if (!plain->is_array()) {
      return Error{"spec.slack.blocks: must render to a JSON array of blocks, got " + json_util::TypeName(*plain)};
    }
    json blocks = ri::MergeMrkdwnText(*plain, *escaped);
    if (auto s = ri::CheckSlackBlocks(blocks); !s) return Error{"spec.slack.blocks: " + s.error()};
    if (!blocks.empty()) payload["blocks"] = std::move(blocks);
  }
  auto body = json_util::Dump(payload);
  if (!body) return Error{text_path + ": rendered output " + body.error()};
  return body;
}

Result<std::string> RenderTeams(const TemplateSpec& spec, const Envelope& envelope) {
  if (auto s = Supports(spec, ChannelKind::kTeams); !s) return Error{s.error()};
  const mustache::data data = ri::ToMustacheData(envelope.json);
  std::string path = "spec.teams.card";
  json card;
  if (!spec.teams.card.empty()) {
    auto rendered = RenderJson(path, spec.teams.card, data, ri::JsonStringEscape);
    if (!rendered) return Error{rendered.error()};
    auto type = rendered->is_object() ? rendered->find("type") : rendered->end();
    if (!rendered->is_object() || type == rendered->end() || *type != "AdaptiveCard") {
      return Error{path + ": must render to a JSON object with \"type\": \"AdaptiveCard\""};
    }
    auto version = rendered->find("version");
    if (version == rendered->end() || !version->is_string()) {
      return Error{path + ": the card needs a \"version\" string, e.g. \"1.4\""};
    }
    card = std::move(*rendered);
  } else {
    // No card template: a plain card from the subject and text.
    json body = json::array();
    if (!spec.subject.empty()) {
      path = "spec.subject";
      auto subject = RenderField(path, spec.subject, data, ri::NoEscape);
      if (!subject) return Error{subject.error()};
      body.push_back({{"type", "TextBlock"},
                      {"text", OneLine(*subject)},
                      {"weight", "Bolder"},
                      {"size", "Medium"},
                      {"wrap", true}});
    }
    if (!spec.text.empty()) {
      path = "spec.text";
      auto text = RenderField(path, spec.text, data, ri::NoEscape);
      if (!text) return Error{text.error()};
      body.push_back({{"type", "TextBlock"}, {"text", std::move(*text)}, {"wrap", true}});
    }
    card = {{"type", "AdaptiveCard"}, {"$schema", kAdaptiveCardSchema}, {"version", "1.4"}, {"body", std::move(body)}};
  }
  json attachment = json::object();
  attachment["contentType"] = kAdaptiveCardContentType;
  attachment["contentUrl"] = nullptr;
  attachment["content"] = std::move(card);
  json message = json::object();
  message["type"] = "message";
  message["attachments"] = json::array();
  message["attachments"].push_back(std::move(attachment));
  auto body = json_util::Dump(message);
  if (!body) return Error{path + ": rendered output " + body.error()};
  return body;
}

Result<std::string> RenderWebhook(const TemplateSpec& spec, const Envelope& envelope) {
  if (spec.webhook.body.empty()) {
    if (!envelope.raw.empty()) return envelope.raw;
    auto dumped = json_util::Dump(envelope.json);
    if (!dumped) return Error{"envelope " + dumped.error()};
    return dumped;
  }
  const mustache::data data = ri::ToMustacheData(envelope.json);
  auto body = RenderField("spec.webhook.body", spec.webhook.body, data, ri::JsonStringEscape);
  if (!body) return Error{body.error()};
  // Sent as the author wrote it, not re-serialised: it only has to be JSON.
  if (auto valid = json_util::Check(*body, kMaxOutputDepth); !valid.ok()) {
    return Error{"spec.webhook.body: rendered output " + OutputProblem(valid.error())};
  }
  return body;
}

Result<Rendered> Render(const TemplateSpec& spec, ChannelKind kind, const Envelope& envelope) {
  if (auto s = CheckContentVersion(envelope, spec.content_version); !s) return Error{s.error()};
  Rendered out;
  out.kind = kind;
  if (kind == ChannelKind::kEmail) {
    auto email = RenderEmail(spec, envelope);
    if (!email) return Error{email.error()};
    out.email = std::move(*email);
    return out;
  }
  Result<std::string> body = kind == ChannelKind::kSlack   ? RenderSlack(spec, envelope)
                             : kind == ChannelKind::kTeams ? RenderTeams(spec, envelope)
                                                           : RenderWebhook(spec, envelope);
  if (!body) return Error{body.error()};
  out.body = std::move(*body);
  return out;
}

Result<SampleRendering> RenderSample(const TemplateSpec& spec) {
  if (!spec.sample) return Error{"spec.sample: not set; nothing to render"};
  auto envelope = ValidateEnvelope(*spec.sample);
  if (!envelope) {
    const std::string& why = envelope.error();
    // Whole-record reasons read "record ..."; field reasons start with the field.
    if (why.rfind("record ", 0) == 0) return Error{"spec.sample " + why.substr(7)};
    return Error{"spec.sample." + why};
  }
  if (envelope->content_version.major != spec.content_version) {
    return Error{"spec.sample.content.version: " + json_util::QuoteForReason(envelope->content_version.text) +
                 " has major version " + std::to_string(envelope->content_version.major) +
                 ", but spec.contentVersion is " + std::to_string(spec.content_version)};
  }
  SampleRendering out;
  if (Supports(spec, ChannelKind::kEmail)) {
    auto email = RenderEmail(spec, *envelope);
    if (!email) return Error{email.error()};
    out.email = std::move(*email);
  }
  if (Supports(spec, ChannelKind::kSlack)) {
    auto slack = RenderSlack(spec, *envelope);
    if (!slack) return Error{slack.error()};
    out.slack = std::move(*slack);
  }
  if (Supports(spec, ChannelKind::kTeams)) {
    auto teams = RenderTeams(spec, *envelope);
    if (!teams) return Error{teams.error()};
    out.teams = std::move(*teams);
  }
  auto webhook = RenderWebhook(spec, *envelope);
  if (!webhook) return Error{webhook.error()};
  out.webhook = std::move(*webhook);
  return out;
}

}  // namespace herald
