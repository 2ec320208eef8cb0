// Two directions in one target, chosen by the first input byte:
//   even: the rest is a template, rendered as every template field against a
//         fixed envelope (template authors make mistakes);
//   odd:  the rest is a record value; if it parses as an envelope, fixed
//         templates covering sections, lists and every channel kind render it
//         (producers send anything).
// Besides "does not crash", checks the promise to the dispatchers: every
// successful JSON render is valid JSON of the right shape.
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "herald/envelope.h"
#include "herald/render.h"
#include "herald/render_mustache.h"

namespace {

using nlohmann::json;

const herald::Envelope& FixedEnvelope() {
  static const herald::Envelope env = [] {
    auto parsed = herald::ParseEnvelope(R"({
      "globalId": "0b7c4e0e-6a51-4d1c-9a39-3f1b2f7e8a10", "from": "billing-service", "type": "quota.exceeded",
      "toUserIds": ["u-1042", "u-7"], "recipients": {"email": ["ops@example.com"]},
      "createdAt": "2026-11-22T10:15:00Z",
      "content": {"version": "1.2", "project": "check\"out <&>", "used": 10500, "limit": 1e4, "ok": false,
                  "tags": ["a", "b"], "items": [{"name": "x", "qty": 1}, {"name": "y\n", "qty": 2.5}],
                  "nested": {"deeper": {"value": null}}}
    })");
    if (!parsed.ok()) __builtin_trap();
    return *parsed;
  }();
  return env;
}

const herald::TemplateSpec& FixedTemplates() {
  static const herald::TemplateSpec spec = [] {
    auto parsed = herald::ParseTemplateSpec(json::parse(R"({
      "subject": "{{type}}: {{content.project}} {{#content.ok}}ok{{/content.ok}}{{^content.ok}}not ok{{/content.ok}}",
      "text": "{{#content.items}}{{name}}={{qty}}\n{{/content.items}}{{#toUserIds}}{{.}},{{/toUserIds}}",
      "html": "<ul>{{#content.tags}}<li>{{.}}</li>{{/content.tags}}</ul>{{{content.nested.deeper.value}}}",
      "slack": {"text": "{{from}}: {{content.project}}",
                "blocks": "[{\"type\":\"header\",\"text\":{\"type\":\"plain_text\",\"text\":\"{{content.project}}\"}},{{#content.items}}{\"type\":\"section\",\"text\":{\"type\":\"mrkdwn\",\"text\":\"*{{name}}* {{qty}}\"}},{{/content.items}}{\"type\":\"divider\"}]"},
      "teams": {"card": "{\"type\":\"AdaptiveCard\",\"version\":\"1.4\",\"body\":[{{#content.tags}}{\"type\":\"TextBlock\",\"text\":\"{{.}} {{content.used}}\"},{{/content.tags}}{\"type\":\"TextBlock\",\"text\":\"{{createdAt}}\"}]}"},
      "webhook": {"body": "{\"id\":\"{{globalId}}\",\"used\":\"{{content.used}}\",\"limit\":\"{{content.limit}}\"}"}
    })"));
    if (!parsed.ok()) __builtin_trap();
    return *parsed;
  }();
  return spec;
}

void MustBeJson(const herald::Result<std::string>& body, bool object) {
  if (!body.ok()) return;
  json parsed = json::parse(*body, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded() || (object && !parsed.is_object())) __builtin_trap();
}

void RenderAll(const herald::TemplateSpec& spec, const herald::Envelope& env) {
  auto email = herald::RenderEmail(spec, env);
  if (email.ok() && email->subject.find_first_of("\r\n") != std::string::npos) __builtin_trap();
  auto slack = herald::RenderSlack(spec, env);
  MustBeJson(slack, true);
  if (slack.ok()) {
    const json payload = json::parse(*slack);
    if (!payload["text"].is_string()) __builtin_trap();
    if (payload.contains("blocks") && payload["blocks"].size() > 50) __builtin_trap();
  }
  MustBeJson(herald::RenderTeams(spec, env), true);
  MustBeJson(herald::RenderWebhook(spec, env), false);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] % 2 == 0) {
    (void)herald::render_internal::SectionDepth(rest);
    herald::TemplateSpec spec;
    spec.subject = spec.text = spec.html = rest;
    spec.slack.text = spec.slack.blocks = rest;
    spec.teams.card = rest;
    spec.webhook.body = rest;
    RenderAll(spec, FixedEnvelope());
    // The same text through the operator's path.
    (void)herald::ParseTemplateSpec(json{{"subject", rest}});
  } else {
    auto env = herald::ParseEnvelope(rest);
    if (env.ok()) RenderAll(FixedTemplates(), *env);
  }
  return 0;
}
