#include "herald/render.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "herald/envelope_json.h"
#include "herald/render_mustache.h"
#include "herald/render_slack.h"

namespace herald {
namespace {

using nlohmann::json;
namespace ri = render_internal;

// The Template example from contracts.md, "Resource shapes".
json ContractSpec() {
  return json::parse(R"({
    "contentVersion": 1,
    "subject": "Quota exceeded for {{content.project}}",
    "text": "{{content.used}} of {{content.limit}} requests used.",
    "html": "<p><b>{{content.project}}</b>: {{content.used}} / {{content.limit}}</p>",
    "slack": {
      "text": "Quota exceeded for {{content.project}}",
      "blocks": "[{\"type\":\"section\",\"text\":{\"type\":\"mrkdwn\",\"text\":\"*{{content.project}}* is over quota\"}}]"
    },
    "teams": {
      "card": "{\"type\":\"AdaptiveCard\",\"version\":\"1.4\",\"body\":[{\"type\":\"TextBlock\",\"text\":\"{{content.project}} is over quota\"}]}"
    },
    "webhook": {"body": "{\"project\":\"{{content.project}}\",\"used\":{{content.used}}}"},
    "sample": {"globalId": "00000000-0000-4000-8000-000000000000", "from": "docs", "createdAt": "2026-01-01T00:00:00Z",
               "content": {"version": "1.0", "project": "demo", "used": 11, "limit": 10}}
  })");
}

TemplateSpec Spec(const json& spec) {
  auto parsed = ParseTemplateSpec(spec);
  EXPECT_TRUE(parsed.ok()) << parsed.error();
  return parsed.ok() ? *parsed : TemplateSpec{};
}

// An envelope whose content is `content` (version "1.0" added).
Envelope Env(json content = json::object()) {
  content["version"] = "1.0";
  json value = {{"globalId", "0b7c4e0e-6a51-4d1c-9a39-3f1b2f7e8a10"},
                {"from", "billing-service"},
                {"createdAt", "2026-11-22T10:15:00Z"},
                {"content", content}};
  auto env = ValidateEnvelope(value);
  EXPECT_TRUE(env.ok()) << env.error();
  return env.ok() ? *env : Envelope{};
}

// Renders `tmpl` as the text part of an email: no escaping.
std::string Text(const std::string& tmpl, const json& content) {
  TemplateSpec spec;
  spec.subject = "s";
  spec.text = tmpl;
  auto email = RenderEmail(spec, Env(content));
  EXPECT_TRUE(email.ok()) << email.error();
  return email.ok() ? email->text : "<error>";
}

TEST(ParseTemplateSpec, ReadsTheContractExample) {
  auto spec = ParseTemplateSpec(ContractSpec());
  ASSERT_TRUE(spec.ok()) << spec.error();
  EXPECT_EQ(spec->content_version, 1);
  EXPECT_EQ(spec->subject, "Quota exceeded for {{content.project}}");
  EXPECT_EQ(spec->slack.text, "Quota exceeded for {{content.project}}");
  EXPECT_NE(spec->slack.blocks.find("mrkdwn"), std::string::npos);
  EXPECT_NE(spec->teams.card.find("AdaptiveCard"), std::string::npos);
  EXPECT_NE(spec->webhook.body.find("used"), std::string::npos);
  ASSERT_TRUE(spec->sample.has_value());
  EXPECT_EQ((*spec->sample)["from"], "docs");
}

TEST(ParseTemplateSpec, DefaultsAndIgnoresUnknownFields) {
  auto spec = ParseTemplateSpec(json{{"text", "hi"}, {"futureField", 1}, {"slack", nullptr}});
  ASSERT_TRUE(spec.ok()) << spec.error();
  EXPECT_EQ(spec->content_version, 1);
  EXPECT_EQ(spec->text, "hi");
  EXPECT_TRUE(spec->slack.blocks.empty());
  EXPECT_FALSE(spec->sample.has_value());
}

TEST(ParseTemplateSpec, RejectsWithTheFieldPath) {
  std::string deep;
  for (int i = 0; i < 40; ++i) deep += "{{#a}}";
  for (int i = 0; i < 40; ++i) deep += "{{/a}}";
  struct Case {
    json spec;
    std::string reason;
  } cases[] = {
      {json::array(), "spec: must be an object, got array"},
      {{{"contentVersion", "1"}}, "spec.contentVersion: must be a non-negative integer, got string \"1\""},
      {{{"contentVersion", -1}}, "spec.contentVersion: must be a non-negative integer, got number -1"},
      {{{"contentVersion", 1.5}}, "spec.contentVersion: must be a non-negative integer, got number 1.5"},
      {{{"contentVersion", 4294967296}}, "spec.contentVersion: must be a non-negative integer"},
      {{{"subject", 5}}, "spec.subject: must be a string, got number"},
      {{{"html", json::object()}}, "spec.html: must be a string, got object"},
      {{{"slack", "x"}}, "spec.slack: must be an object, got string"},
      {{{"slack", {{"blocks", json::array()}}}}, "spec.slack.blocks: must be a string, got array"},
      {{{"slack", {{"text", true}}}}, "spec.slack.text: must be a string, got boolean"},
      {{{"teams", {{"card", 1}}}}, "spec.teams.card: must be a string, got number"},
      {{{"webhook", {{"body", json::object()}}}}, "spec.webhook.body: must be a string, got object"},
      {{{"sample", "x"}}, "spec.sample: must be an object, got string"},
      {{{"subject", "{{#a}}x"}}, "spec.subject: invalid Mustache: Unclosed section \"a\" at 0"},
      {{{"html", "<p>{{content.x</p>"}}, "spec.html: invalid Mustache: Unclosed tag at 3"},
      {{{"text", "{{/a}}"}}, "spec.text: invalid Mustache: Unopened section \"a\" at 0"},
      {{{"slack", {{"blocks", "{{=<% %>=}}<%#a%>"}}}}, "spec.slack.blocks: invalid Mustache: Unclosed section"},
      {{{"teams", {{"card", "{{= x =}}"}}}}, "spec.teams.card: invalid Mustache: Invalid set delimiter tag at 0"},
      {{{"webhook", {{"body", deep}}}}, "spec.webhook.body: template nests sections deeper than 32 levels"},
      {{{"text", std::string(200000, 'x')}}, "spec.text: template is 200000 bytes, over the 131072-byte limit"},
  };
  for (const auto& c : cases) {
    auto spec = ParseTemplateSpec(c.spec);
    ASSERT_FALSE(spec.ok()) << c.spec.dump().substr(0, 200);
    EXPECT_EQ(spec.error().substr(0, c.reason.size()), c.reason) << "got: " << spec.error();
  }
}

TEST(Supports, NamesWhatIsMissing) {
  struct Case {
    json spec;
    ChannelKind kind;
    const char* error;  // nullptr: supported
  } cases[] = {
      {ContractSpec(), ChannelKind::kEmail, nullptr},
      {ContractSpec(), ChannelKind::kSlack, nullptr},
      {ContractSpec(), ChannelKind::kTeams, nullptr},
      {ContractSpec(), ChannelKind::kWebhook, nullptr},
      {{{"text", "t"}}, ChannelKind::kEmail, "email channels need spec.subject"},
      {{{"subject", "s"}}, ChannelKind::kEmail, "email channels need spec.text or spec.html"},
      {{{"subject", "s"}, {"html", "h"}}, ChannelKind::kEmail, nullptr},
      {{{"subject", "s"}}, ChannelKind::kSlack, nullptr},
      {{{"slack", {{"blocks", "[]"}}}}, ChannelKind::kSlack, "slack channels need fallback text"},
      {{{"text", "t"}}, ChannelKind::kTeams, nullptr},
      {{{"html", "h"}}, ChannelKind::kTeams, "teams channels need spec.teams.card, spec.text or spec.subject"},
      {json::object(), ChannelKind::kWebhook, nullptr},
  };
  for (const auto& c : cases) {
    auto status = Supports(Spec(c.spec), c.kind);
    if (c.error == nullptr) {
      EXPECT_TRUE(status.ok()) << c.spec << ": " << status.error();
    } else {
      ASSERT_FALSE(status.ok()) << c.spec;
      EXPECT_EQ(status.error().rfind(c.error, 0), 0u) << status.error();
    }
  }
}

TEST(ChannelKind, NamesRoundTrip) {
  for (ChannelKind kind : kAllChannelKinds) {
    auto parsed = ParseChannelKind(ChannelKindName(kind));
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(*parsed, kind);
  }
  auto bad = ParseChannelKind("sms");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error(), "unknown channel type \"sms\"; expected email, slack, teams or webhook");
}

TEST(MustacheData, PrintsValuesNaturally) {
  struct Case {
    const char* tmpl;
    json content;
    const char* want;
  } cases[] = {
      {"{{content.n}}", {{"n", 10500}}, "10500"},
      {"{{content.n}}", {{"n", -3}}, "-3"},
      {"{{content.n}}", {{"n", 18446744073709551615u}}, "18446744073709551615"},
      {"{{content.n}}", {{"n", 10.0}}, "10"},
      {"{{content.n}}", {{"n", 1.5}}, "1.5"},
      {"{{content.n}}", {{"n", 0.1}}, "0.1"},
      {"{{content.n}}", {{"n", 1e300}}, "1e+300"},
      {"{{content.s}}", {{"s", "plain"}}, "plain"},
      {"{{content.missing}}|", json::object(), "|"},
      {"{{content.z}}|", {{"z", nullptr}}, "|"},
      {"{{#content.z}}yes{{/content.z}}{{^content.z}}no{{/content.z}}", {{"z", nullptr}}, "no"},
      {"{{#content.b}}yes{{/content.b}}{{^content.b}}no{{/content.b}}", {{"b", true}}, "yes"},
      {"{{#content.b}}yes{{/content.b}}{{^content.b}}no{{/content.b}}", {{"b", false}}, "no"},
      {"[{{content.b}}]", {{"b", true}}, "[]"},  // kainjow renders booleans as nothing
      {"{{#content.l}}{{.}},{{/content.l}}", {{"l", {1, "two", 3.5}}}, "1,two,3.5,"},
      {"{{#content.l}}x{{/content.l}}{{^content.l}}empty{{/content.l}}", {{"l", json::array()}}, "empty"},
      {"{{#content.items}}{{name}}={{qty}};{{/content.items}}",
       {{"items", {{{"name", "a"}, {"qty", 1}}, {{"name", "b"}, {"qty", 2}}}}},
       "a=1;b=2;"},
      {"{{#content.o}}{{k}}{{/content.o}}", {{"o", {{"k", "v"}}}}, "v"},
      {"{{content.o.k}}", {{"o", {{"k", "v"}}}}, "v"},
      {"{{from}} {{globalId}} {{createdAt}}", json::object(),
       "billing-service 0b7c4e0e-6a51-4d1c-9a39-3f1b2f7e8a10 2026-11-22T10:15:00Z"},
      {"{{content.version}}", json::object(), "1.0"},
      {"{{>from}}|{{>content}}", json::object(), "|"},  // partials are disabled
      {"{{=<% %>=}}<% from %>", json::object(), "billing-service"},
      {"{{content.s}} {{{content.s}}} {{&content.s}}", {{"s", "<&>"}}, "<&> <&> <&>"},
  };
  for (const auto& c : cases) EXPECT_EQ(Text(c.tmpl, c.content), c.want) << c.tmpl;
}

TEST(Escapers, EscapeForTheirContext) {
  struct Case {
    ri::Escaper escape;
    std::string in;
    std::string want;
  } cases[] = {
      {ri::NoEscape, "<a href=\"x\">&'", "<a href=\"x\">&'"},
      {ri::HtmlEscape, "<a href=\"x\">&'", "&lt;a href=&quot;x&quot;&gt;&amp;&apos;"},
      {ri::JsonStringEscape, "a\"b\\c\nd\re\tf\bg\fh\x01i\x1fj\x7fk/é",
       "a\\\"b\\\\c\\nd\\re\\tf\\bg\\fh\\u0001i\\u001fj\x7fk/é"},
      {ri::SlackEscape, "<!channel> & <@U1>", "&lt;!channel&gt; &amp; &lt;@U1&gt;"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(c.escape(c.in), c.want);
  }
  // Whatever a value holds, escaping it makes a valid JSON string literal.
  std::string all;
  for (int b = 1; b < 128; ++b) all += static_cast<char>(b);
  EXPECT_EQ(json::parse("\"" + ri::JsonStringEscape(all) + "\"").get<std::string>(), all);
}

TEST(RenderEmail, EscapesPerPart) {
  TemplateSpec spec = Spec(ContractSpec());
  auto email = RenderEmail(spec, Env({{"project", "<b>A&B</b>\r\nBcc: x@y"}, {"used", 3}, {"limit", 2}}));
  ASSERT_TRUE(email.ok()) << email.error();
  EXPECT_EQ(email->subject, "Quota exceeded for <b>A&B</b> Bcc: x@y");
  EXPECT_EQ(email->text, "3 of 2 requests used.");
  EXPECT_EQ(email->html, "<p><b>&lt;b&gt;A&amp;B&lt;/b&gt;\r\nBcc: x@y</b>: 3 / 2</p>");
}

TEST(RenderEmail, SubjectIsOneLine) {
  struct Case {
    std::string value;
    std::string want;
  } cases[] = {{"a\r\nb", "a b"}, {"a\n\n\nb", "a b"}, {"\ta\tb\t", "a b"}, {"a\x01\x7f b", "a b"}, {"\n", ""}};
  for (const auto& c : cases) {
    TemplateSpec spec;
    spec.subject = "{{content.s}}";
    spec.text = "t";
    auto email = RenderEmail(spec, Env({{"s", c.value}}));
    ASSERT_TRUE(email.ok()) << email.error();
    EXPECT_EQ(email->subject, c.want);
  }
  TemplateSpec spec;
  spec.subject = "Line one\nline two";
  spec.html = "<p>hi</p>";
  auto email = RenderEmail(spec, Env());
  ASSERT_TRUE(email.ok());
  EXPECT_EQ(email->subject, "Line one line two");
  EXPECT_EQ(email->text, "");
}

TEST(RenderSlack, RendersTheContractExample) {
  auto body = RenderSlack(Spec(ContractSpec()), Env({{"project", "checkout"}}));
  ASSERT_TRUE(body.ok()) << body.error();
  EXPECT_EQ(json::parse(*body), json::parse(R"({"text":"Quota exceeded for checkout",
      "blocks":[{"type":"section","text":{"type":"mrkdwn","text":"*checkout* is over quota"}}]})"));
}

TEST(RenderSlack, ValuesCannotBreakJsonOrMention) {
  TemplateSpec spec;
  spec.slack.text = "{{content.v}}";
  spec.slack.blocks = R"([
    {"type":"section","text":{"type":"mrkdwn","text":"v={{content.v}}"},
     "accessory":{"type":"button","text":{"type":"plain_text","text":"{{content.v}}"},"url":"{{content.url}}"}},
    {"type":"context","elements":[{"type":"mrkdwn","text":"{{content.v}}"}]}
  ])";
  const std::string v = "\"}]<!channel> & \\ \n";
  auto body = RenderSlack(spec, Env({{"v", v}, {"url", "https://x.example/?a=1&b=<2>"}}));
  ASSERT_TRUE(body.ok()) << body.error();
  const json payload = json::parse(*body);
  const std::string escaped = "\"}]&lt;!channel&gt; &amp; \\ \n";
  EXPECT_EQ(payload["text"], escaped);
  EXPECT_EQ(payload["blocks"][0]["text"]["text"], "v=" + escaped);
  EXPECT_EQ(payload["blocks"][0]["accessory"]["text"]["text"], v);  // plain_text: literal
  EXPECT_EQ(payload["blocks"][0]["accessory"]["url"], "https://x.example/?a=1&b=<2>");
  EXPECT_EQ(payload["blocks"][1]["elements"][0]["text"], escaped);
}

TEST(RenderSlack, FallbackTextDefaults) {
  struct Case {
    json spec;
    const char* want;
  } cases[] = {
      {{{"slack", {{"text", "slack {{from}}"}}}, {"text", "text"}, {"subject", "subject"}}, "slack billing-service"},
      {{{"text", "text {{from}}"}, {"subject", "subject"}}, "text billing-service"},
      {{{"subject", "subject {{from}}"}}, "subject billing-service"},
  };
  for (const auto& c : cases) {
    auto body = RenderSlack(Spec(c.spec), Env());
    ASSERT_TRUE(body.ok()) << body.error();
    EXPECT_EQ(json::parse(*body), json({{"text", c.want}}));
  }
}

TEST(RenderSlack, EmptyBlocksAreLeftOut) {
  TemplateSpec spec;
  spec.slack.text = "t";
  spec.slack.blocks = "[{{#content.l}}{\"type\":\"divider\"}{{/content.l}}]";
  auto body = RenderSlack(spec, Env({{"l", json::array()}}));
  ASSERT_TRUE(body.ok()) << body.error();
  EXPECT_EQ(*body, R"({"text":"t"})");
}

TEST(RenderSlack, RejectsInvalidOutputAndBrokenLimits) {
  const auto section = [](const std::string& text) {
    return json{{"type", "section"}, {"text", {{"type", "mrkdwn"}, {"text", text}}}};
  };
  json fifty_one = json::array();
  for (int i = 0; i < 51; ++i) fifty_one.push_back({{"type", "divider"}});
  json eleven_fields = json::array();
  for (int i = 0; i < 11; ++i) eleven_fields.push_back({{"type", "mrkdwn"}, {"text", "f"}});
  struct Case {
    const char* name;
    std::string blocks;
    json content;
    std::string reason;
  } cases[] = {
      {"not JSON", "[{\"type\":\"section\",}]", json::object(),
       "spec.slack.blocks: rendered output is not valid JSON: parse error at line 1, column 20"},
      {"value outside quotes",
       "[{\"type\":{{content.v}}}]",
       {{"v", "x"}},
       "spec.slack.blocks: rendered output is not valid JSON"},
      {"object, not array", R"({"type":"divider"})", json::object(),
       "spec.slack.blocks: must render to a JSON array of blocks, got object"},
      {"51 blocks", fifty_one.dump(), json::object(),
       "spec.slack.blocks: 51 blocks; Slack allows at most 50 per message"},
      {"block without type", "[{}]", json::object(), "spec.slack.blocks: blocks[0]: must be an object with a string"},
      {"block not an object", "[1]", json::object(), "spec.slack.blocks: blocks[0]: must be an object"},
      {"section text 3001", "[" + section(std::string(3001, 'x')).dump() + "]", json::object(),
       "spec.slack.blocks: blocks[0].text.text: 3001 characters; Slack allows at most 3000"},
      {"section text from a value",
       R"([{"type":"section","text":{"type":"mrkdwn","text":"{{content.v}}"}}])",
       {{"v", std::string(2999, 'x') + "&"}},  // 2999 + "&amp;" = 3004 characters
       "spec.slack.blocks: blocks[0].text.text: 3004 characters"},
      {"empty section text", R"([{"type":"section","text":{"type":"mrkdwn","text":"{{content.v}}"}}])", json::object(),
       "spec.slack.blocks: blocks[0].text.text: empty"},
      {"section without text", R"([{"type":"section"}])", json::object(),
       "spec.slack.blocks: blocks[0]: a section needs \"text\" or \"fields\""},
      {"11 fields", json::array({{{"type", "section"}, {"fields", eleven_fields}}}).dump(), json::object(),
       "spec.slack.blocks: blocks[0].fields: 11 items; Slack allows at most 10"},
      {"long field",
       json::array({{{"type", "section"}, {"fields", {{{"type", "mrkdwn"}, {"text", std::string(2001, 'x')}}}}}})
           .dump(),
       json::object(), "spec.slack.blocks: blocks[0].fields[0].text: 2001 characters; Slack allows at most 2000"},
      {"header 151",
       R"([{"type":"header","text":{"type":"plain_text","text":"{{content.v}}"}}])",
       {{"v", std::string(151, 'h')}},
       "spec.slack.blocks: blocks[0].text.text: 151 characters; Slack allows at most 150"},
      {"header mrkdwn", R"([{"type":"header","text":{"type":"mrkdwn","text":"h"}}])", json::object(),
       "spec.slack.blocks: blocks[0].text: a header's text must be plain_text"},
      {"context text 3001",
       "[" + json{{"type", "context"}, {"elements", {{{"type", "mrkdwn"}, {"text", std::string(3001, 'c')}}}}}.dump() +
           "]",
       json::object(), "spec.slack.blocks: blocks[0].elements[0].text: 3001 characters"},
      {"block_id 256", "[" + json{{"type", "divider"}, {"block_id", std::string(256, 'i')}}.dump() + "]",
       json::object(), "spec.slack.blocks: blocks[0].block_id: 256 characters; Slack allows at most 255"},
      {"too deep", std::string(70, '[') + std::string(70, ']'), json::object(),
       "spec.slack.blocks: rendered output nests arrays/objects deeper than 64 levels"},
  };
  for (const auto& c : cases) {
    TemplateSpec spec;
    spec.slack.text = "fallback";
    spec.slack.blocks = c.blocks;
    auto body = RenderSlack(spec, Env(c.content));
    ASSERT_FALSE(body.ok()) << c.name;
    EXPECT_EQ(body.error().substr(0, c.reason.size()), c.reason) << c.name << "\n  got: " << body.error();
  }
  // Characters, not bytes: 3000 two-byte characters fit.
  TemplateSpec spec;
  spec.slack.text = "fallback";
  std::string umlauts;
  for (int i = 0; i < 3000; ++i) umlauts += "ü";
  spec.slack.blocks = "[" + section(umlauts).dump() + "]";
  auto fits = RenderSlack(spec, Env());
  EXPECT_TRUE(fits.ok()) << fits.error();
}

TEST(RenderSlack, RejectsEmptyFallbackText) {
  TemplateSpec spec;
  spec.slack.text = "{{content.missing}} ";
  auto body = RenderSlack(spec, Env());
  ASSERT_FALSE(body.ok());
  EXPECT_EQ(body.error(), "spec.slack.text: the Slack fallback text renders empty");
}

TEST(RenderTeams, WrapsTheCardForWorkflowWebhooks) {
  auto body = RenderTeams(Spec(ContractSpec()), Env({{"project", "say \"hi\"\n"}}));
  ASSERT_TRUE(body.ok()) << body.error();
  EXPECT_EQ(json::parse(*body), json::parse(R"({"type":"message","attachments":[{
      "contentType":"application/vnd.microsoft.card.adaptive","contentUrl":null,
      "content":{"type":"AdaptiveCard","version":"1.4",
                 "body":[{"type":"TextBlock","text":"say \"hi\"\n is over quota"}]}}]})"));
}

TEST(RenderTeams, BuildsADefaultCardFromSubjectAndText) {
  TemplateSpec spec;
  spec.subject = "Quota: {{content.project}}\n";
  spec.text = "{{content.used}} used";
  auto body = RenderTeams(spec, Env({{"project", "demo"}, {"used", 11}}));
  ASSERT_TRUE(body.ok()) << body.error();
  const json card = json::parse(*body)["attachments"][0]["content"];
  EXPECT_EQ(card["type"], "AdaptiveCard");
  EXPECT_EQ(card["version"], "1.4");
  EXPECT_EQ(card["body"][0]["text"], "Quota: demo");
  EXPECT_EQ(card["body"][0]["weight"], "Bolder");
  EXPECT_EQ(card["body"][1]["text"], "11 used");
}

TEST(RenderTeams, RejectsWhatIsNotAnAdaptiveCard) {
  struct Case {
    const char* card;
    const char* reason;
  } cases[] = {
      {R"({"type":"AdaptiveCard","version":"1.4",})", "spec.teams.card: rendered output is not valid JSON"},
      {R"([{"type":"AdaptiveCard"}])", "spec.teams.card: must render to a JSON object with \"type\": \"AdaptiveCard\""},
      {R"({"type":"MessageCard","version":"1.4"})", "spec.teams.card: must render to a JSON object with"},
      {R"({"type":1})", "spec.teams.card: must render to a JSON object with"},
      {R"({"type":"AdaptiveCard"})", "spec.teams.card: the card needs a \"version\" string"},
      {R"({"type":"AdaptiveCard","version":1.4})", "spec.teams.card: the card needs a \"version\" string"},
  };
  for (const auto& c : cases) {
    TemplateSpec spec;
    spec.teams.card = c.card;
    auto body = RenderTeams(spec, Env());
    ASSERT_FALSE(body.ok()) << c.card;
    EXPECT_EQ(body.error().rfind(c.reason, 0), 0u) << body.error();
  }
}

TEST(RenderWebhook, RendersTheBodyTemplateVerbatim) {
  TemplateSpec spec = Spec(ContractSpec());
  auto body = RenderWebhook(spec, Env({{"project", "a\"b"}, {"used", 10500}}));
  ASSERT_TRUE(body.ok()) << body.error();
  EXPECT_EQ(*body, R"({"project":"a\"b","used":10500})");
}

TEST(RenderWebhook, DefaultsToTheEnvelopeAsReceived) {
  const std::string record =
      "{ \"from\":\"x\", \"globalId\":\"0b7c4e0e-6a51-4d1c-9a39-3f1b2f7e8a10\",\n"
      "  \"createdAt\":\"2026-11-22T10:15:00Z\", \"content\":{\"version\":\"1\",\"n\":1.50} }";
  auto env = ParseEnvelope(record);
  ASSERT_TRUE(env.ok()) << env.error();
  auto body = RenderWebhook(TemplateSpec{}, *env);
  ASSERT_TRUE(body.ok()) << body.error();
  EXPECT_EQ(*body, record);
}

TEST(RenderWebhook, RejectsInvalidJson) {
  TemplateSpec spec;
  spec.webhook.body = R"({"used":{{content.used}}})";
  auto body = RenderWebhook(spec, Env());
  ASSERT_FALSE(body.ok());
  EXPECT_EQ(body.error().rfind("spec.webhook.body: rendered output is not valid JSON: parse error at line 1", 0), 0u)
      << body.error();
}

TEST(RenderWebhook, RejectsOutputNestedTooDeeply) {
  TemplateSpec spec;
  spec.webhook.body = std::string(70, '[') + "{{content.used}}" + std::string(70, ']');
  auto body = RenderWebhook(spec, Env());
  ASSERT_FALSE(body.ok());
  EXPECT_EQ(body.error(), "spec.webhook.body: rendered output nests arrays/objects deeper than 64 levels");
}

// Check (no DOM) must agree with Parse on every input, errors included: the
// webhook body is only checked, other outputs are parsed.
TEST(JsonCheck, AgreesWithParse) {
  const std::string deep = std::string(65, '[') + std::string(65, ']');
  const std::vector<std::string> inputs = {R"({"a":[1,2.5,"x",null,true]})",
                                           "{}",
                                           "",
                                           "{",
                                           R"({"a":1,})",
                                           "1e999",
                                           "[1] [2]",
                                           "\"\xff\"",
                                           R"("a\u0000b")",
                                           deep,
                                           std::string(64, '[') + std::string(64, ']')};
  for (const std::string& text : inputs) {
    auto parsed = json_util::Parse(text, 64);
    auto checked = json_util::Check(text, 64);
    EXPECT_EQ(checked.ok(), parsed.ok()) << text;
    if (!parsed.ok() && !checked.ok()) {
      EXPECT_EQ(checked.error(), parsed.error()) << text;
    }
  }
}

TEST(Render, ChecksTheContentVersionFirst) {
  TemplateSpec spec = Spec(ContractSpec());
  json value = Env().json;
  value["content"]["version"] = "2.0";
  auto env = ValidateEnvelope(value);
  ASSERT_TRUE(env.ok());
  for (ChannelKind kind : kAllChannelKinds) {
    auto out = Render(spec, kind, *env);
    ASSERT_FALSE(out.ok());
    EXPECT_EQ(out.error(), "content.version \"2.0\" has major version 2; the template accepts major version 1");
  }
}

TEST(Render, DispatchesByKind) {
  TemplateSpec spec = Spec(ContractSpec());
  const Envelope env = Env({{"project", "p"}, {"used", 1}, {"limit", 2}});
  auto email = Render(spec, ChannelKind::kEmail, env);
  ASSERT_TRUE(email.ok()) << email.error();
  EXPECT_EQ(email->kind, ChannelKind::kEmail);
  EXPECT_EQ(email->email.subject, "Quota exceeded for p");
  EXPECT_TRUE(email->body.empty());
  struct Case {
    ChannelKind kind;
    Result<std::string> (*direct)(const TemplateSpec&, const Envelope&);
  } cases[] = {
      {ChannelKind::kSlack, RenderSlack}, {ChannelKind::kTeams, RenderTeams}, {ChannelKind::kWebhook, RenderWebhook}};
  for (const auto& c : cases) {
    auto out = Render(spec, c.kind, env);
    ASSERT_TRUE(out.ok()) << out.error();
    EXPECT_EQ(out->kind, c.kind);
    EXPECT_EQ(out->body, *c.direct(spec, env));
  }
  TemplateSpec webhook_only;
  auto unsupported = Render(webhook_only, ChannelKind::kEmail, env);
  ASSERT_FALSE(unsupported.ok());
  EXPECT_EQ(unsupported.error(), "email channels need spec.subject");
}

TEST(RenderSample, RendersTheContractExampleForEveryKind) {
  auto out = RenderSample(Spec(ContractSpec()));
  ASSERT_TRUE(out.ok()) << out.error();
  ASSERT_TRUE(out->email.has_value());
  EXPECT_EQ(out->email->subject, "Quota exceeded for demo");
  EXPECT_EQ(out->email->text, "11 of 10 requests used.");
  EXPECT_EQ(out->email->html, "<p><b>demo</b>: 11 / 10</p>");
  ASSERT_TRUE(out->slack.has_value());
  EXPECT_EQ(json::parse(*out->slack)["blocks"][0]["text"]["text"], "*demo* is over quota");
  ASSERT_TRUE(out->teams.has_value());
  EXPECT_EQ(json::parse(*out->teams)["attachments"][0]["content"]["body"][0]["text"], "demo is over quota");
  ASSERT_TRUE(out->webhook.has_value());
  EXPECT_EQ(*out->webhook, R"({"project":"demo","used":11})");
}

TEST(RenderSample, SkipsUnsupportedKinds) {
  auto out =
      RenderSample(Spec({{"webhook", {{"body", "{\"from\":\"{{from}}\"}"}}}, {"sample", ContractSpec()["sample"]}}));
  ASSERT_TRUE(out.ok()) << out.error();
  EXPECT_FALSE(out->email.has_value());
  EXPECT_FALSE(out->slack.has_value());
  EXPECT_FALSE(out->teams.has_value());
  EXPECT_EQ(*out->webhook, R"({"from":"docs"})");
}

TEST(RenderSample, ReportsTheFieldAtFault) {
  const auto with = [](const std::string& path, const json& value) {
    json spec = ContractSpec();
    spec[json::json_pointer(path)] = value;
    return spec;
  };
  json no_sample = ContractSpec();
  no_sample.erase("sample");
  struct Case {
    json spec;
    std::string reason;
  } cases[] = {
      {no_sample, "spec.sample: not set; nothing to render"},
      {with("/sample/globalId", "x"), "spec.sample.globalId: must be a UUID"},
      {with("/sample/createdAt", "yesterday"), "spec.sample.createdAt: not an RFC 3339 date-time"},
      {with("/sample/content/version", "2"),
       "spec.sample.content.version: \"2\" has major version 2, but spec.contentVersion is 1"},
      {with("/contentVersion", 3),
       "spec.sample.content.version: \"1.0\" has major version 1, but spec.contentVersion is 3"},
      {with("/slack/blocks", "[{{content.used}},]"), "spec.slack.blocks: rendered output is not valid JSON"},
      {with("/teams/card", "{\"type\":\"{{content.project}}\"}"), "spec.teams.card: must render to a JSON object"},
      {with("/webhook/body", "{{content.project}}"), "spec.webhook.body: rendered output is not valid JSON"},
      {with("/sample/content/project", std::string(3000, 'x')),
       "spec.slack.blocks: blocks[0].text.text: 3016 characters"},
  };
  for (const auto& c : cases) {
    auto out = RenderSample(Spec(c.spec));
    ASSERT_FALSE(out.ok()) << c.reason;
    EXPECT_EQ(out.error().substr(0, c.reason.size()), c.reason) << "got: " << out.error();
  }
}

TEST(RenderMustache, BoundsWorkAndOutput) {
  json list = json::array();
  for (int i = 0; i < 1000; ++i) list.push_back(i);
  const auto data = ri::ToMustacheData({{"l", list}, {"big", std::string(1024 * 1024, 'x')}});
  struct Case {
    const char* name;
    std::string tmpl;
    const char* reason;
  } cases[] = {
      {"nested loops", "{{#l}}{{#l}}{{#l}}x{{/l}}{{/l}}{{/l}}", "rendering took more than 100000 steps"},
      {"silent nested loops", "{{#l}}{{#l}}{{/l}}{{/l}}", "rendering took more than 100000 steps"},
      {"huge output", "{{big}}\n{{big}}\n{{big}}\n", "rendered output is over 2097152 bytes"},
      {"huge line", "{{big}}{{big}}{{big}}", "rendered output is over 2097152 bytes"},
  };
  for (const auto& c : cases) {
    auto out = ri::RenderMustache(c.tmpl, data, ri::NoEscape);
    ASSERT_FALSE(out.ok()) << c.name;
    EXPECT_EQ(out.error().rfind(c.reason, 0), 0u) << c.name << ": " << out.error();
  }
  auto fine = ri::RenderMustache("{{#l}}{{.}} {{/l}}", data, ri::NoEscape);
  ASSERT_TRUE(fine.ok()) << fine.error();
  EXPECT_EQ(fine->substr(0, 8), "0 1 2 3 ");
}

TEST(SectionDepth, CountsAsKainjowParses) {
  std::string deep_custom = "{{=<% %>=}}";
  for (int i = 0; i < 20000; ++i) deep_custom += "<%#a%>";
  struct Case {
    std::string tmpl;
    int want;
  } cases[] = {
      {"", 0},
      {"plain {text}", 0},
      {"{{#a}}{{/a}}", 1},
      {"{{#a}}{{^b}}{{/b}}{{/a}}{{#c}}{{/c}}", 2},
      {"{{{#a}}}{{&#b}}", 0},                 // unescaped variables named "#a" / "#b"
      {"{{ #a }}{{#b}}", 2},                  // tag contents are trimmed
      {"{{#a}}{{/a}}{{/a}}{{#b}}{{#c}}", 1},  // parsing stops at the unopened section
      {"{{#a}}{{#b", 1},                      // parsing stops at the unclosed tag
      {"{{=| |=}}|#a||#b|{{#c}}", 2},
      {"{{=| |=}}|#a||={{ }}=||#b|{{#c}}", 2},
      {"{{=a=b c=}}{{#a}}", 0},  // invalid delimiters: parsing stops
      {"{{#a}}{{=<% %>=}}<%#b%>{{#c}}<%/b%><%={{ }}=%>{{#d}}", 2},
      {deep_custom, 20000},
  };
  for (const auto& c : cases) EXPECT_EQ(ri::SectionDepth(c.tmpl), c.want) << c.tmpl.substr(0, 80);
  // And so kainjow never sees a template deep enough to exhaust the stack.
  auto out = ri::RenderMustache(deep_custom, ri::ToMustacheData(json::object()), ri::NoEscape);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error(), "template nests sections deeper than 32 levels");
}

TEST(Utf8Length, CountsCodePoints) {
  EXPECT_EQ(ri::Utf8Length(""), 0u);
  EXPECT_EQ(ri::Utf8Length("abc"), 3u);
  EXPECT_EQ(ri::Utf8Length("ü€😀"), 3u);
}

}  // namespace
}  // namespace herald
