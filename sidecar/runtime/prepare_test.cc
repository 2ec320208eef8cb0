#include "runtime/prepare.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace herald::sidecar {
namespace {

using std::chrono::system_clock;

Secrets WithUrl(const std::string& url, const std::string& signing = "") {
  Secrets s;
  s.url = url;
  s.signing_secret = signing;
  return s;
}

config::SidecarConfig Config(const std::string& type, const std::string& sink) {
  auto cfg = config::ParseSidecarConfig(R"(
channel: {namespace: team-a, name: ops, type: )" +
                                        type + R"(}
kafka: {bootstrapServers: k:9092, topic: t, deadLetterTopic: t.dlq, groupId: g}
delivery: {timeout: 3s}
template:
  contentVersion: 1
  subject: "Quota exceeded for {{content.project}}"
  text: "{{content.used}} used"
  html: "<b>{{content.project}}</b>"
  slack: {text: "Quota exceeded for {{content.project}}"}
  webhook: {body: '{"project":"{{content.project}}"}'}
)" + sink);
  EXPECT_TRUE(cfg.ok()) << cfg.error();
  return *cfg;
}

Envelope Env(const std::string& extra = "", const std::string& version = "1.2") {
  auto e = ParseEnvelope(R"({"globalId":"0b7c4e0e-6a51-4d1c-9a39-3f1b2f7e8a10","from":"billing",)"
                         R"("createdAt":"2026-11-22T10:15:00Z",)" +
                         extra + R"("content":{"version":")" + version + R"(","project":"check\"out","used":7}})");
  EXPECT_TRUE(e.ok()) << e.error();
  return *e;
}

TEST(Prepare, SlackPostsTheRenderedPayloadToTheSecretUrl) {
  auto cfg = Config("slack", "slack: {webhookURLFile: /x}\n");
  Secrets s = WithUrl("https://hooks.example/services/T/B/X");
  auto req = Prepare(cfg, s, Env(), system_clock::now());
  ASSERT_TRUE(req.ok()) << req.error();
  const auto& post = std::get<dispatch::HttpPost>(req->payload);
  EXPECT_EQ(post.url, s.url);
  auto body = nlohmann::json::parse(post.body);
  EXPECT_EQ(body["text"], "Quota exceeded for check\"out");
  EXPECT_EQ(req->timeout.count(), 3000);
}

TEST(Prepare, WebhookIsSignedTheStandardWebhooksWay) {
  auto cfg = Config("webhook", "webhook: {urlFile: /x, signingSecretFile: /y, headers: {X-Team: a}}\n");
  Secrets s = WithUrl("http://127.0.0.1:1/hook", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
  auto now = system_clock::now();
  auto req = Prepare(cfg, s, Env(), now);
  ASSERT_TRUE(req.ok()) << req.error();
  const auto& post = std::get<dispatch::HttpPost>(req->payload);
  std::map<std::string, std::string> h(post.headers.begin(), post.headers.end());
  EXPECT_EQ(h["X-Team"], "a");
  EXPECT_EQ(h[std::string(dispatch::kWebhookIdHeader)], "0b7c4e0e-6a51-4d1c-9a39-3f1b2f7e8a10");
  auto signer = dispatch::WebhookSigner::Create(s.signing_secret);
  ASSERT_TRUE(signer.ok());
  dispatch::WebhookSignatureHeaders got{h[std::string(dispatch::kWebhookIdHeader)],
                                        h[std::string(dispatch::kWebhookTimestampHeader)],
                                        h[std::string(dispatch::kWebhookSignatureHeader)]};
  EXPECT_TRUE(signer->Verify(got, post.body, now).ok());
  EXPECT_EQ(nlohmann::json::parse(post.body)["project"], "check\"out");
}

TEST(Prepare, EmailUsesEnvelopeRecipientsElseChannelDefaults) {
  auto cfg = Config("email",
                    "email: {smtp: {host: 127.0.0.1, port: 2525, tls: none}, from: 'Herald <h@example.com>', "
                    "to: [ops@example.com]}\n");
  auto with =
      Prepare(cfg, {}, Env(R"("recipients":{"email":["a@example.com","b@example.com"]},)"), system_clock::now());
  ASSERT_TRUE(with.ok()) << with.error();
  const auto& smtp = std::get<dispatch::SmtpSend>(with->payload);
  EXPECT_EQ(smtp.recipients, (std::vector<std::string>{"a@example.com", "b@example.com"}));
  EXPECT_EQ(smtp.mail_from, "h@example.com");
  EXPECT_EQ(smtp.tls, dispatch::SmtpTls::kNone);
  EXPECT_NE(smtp.message.find("Message-ID: <0b7c4e0e-6a51-4d1c-9a39-3f1b2f7e8a10@example.com>"), std::string::npos);
  auto without = Prepare(cfg, {}, Env(), system_clock::now());
  ASSERT_TRUE(without.ok()) << without.error();
  EXPECT_EQ(std::get<dispatch::SmtpSend>(without->payload).recipients, (std::vector<std::string>{"ops@example.com"}));
}

TEST(Prepare, InvalidMessagesAreRefusedWithAReason) {
  auto email = Config("email", "email: {smtp: {host: h}, from: h@example.com}\n");
  auto none = Prepare(email, {}, Env(), system_clock::now());
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.error().find("no recipients"), std::string::npos) << none.error();
  auto slack = Config("slack", "slack: {webhookURLFile: /x}\n");
  auto version = Prepare(slack, WithUrl("https://x"), Env("", "2.0"), system_clock::now());
  ASSERT_FALSE(version.ok());
  EXPECT_NE(version.error().find("major version"), std::string::npos) << version.error();
}

TEST(Prepare, StaticChecksRefuseNonHttpTargets) {
  auto cfg = Config("slack", "slack: {webhookURLFile: /x}\n");
  auto st = ValidateStatic(cfg, WithUrl("ftp://nope"));
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().find("ftp"), std::string::npos) << "the URL is a credential and must not be echoed";
}

}  // namespace
}  // namespace herald::sidecar

namespace herald::sidecar {
namespace {

TEST(Prepare, CredentialHeadersComeFromTheMountedSecretDirectory) {
  auto dir = std::filesystem::temp_directory_path() / ("herald-headers-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir / "..2026_data");
  std::ofstream(dir / "Authorization") << "Bearer s3cret\n";
  std::ofstream(dir / "..data") << "ignored";
  auto cfg = config::ParseSidecarConfig(R"(
channel: {namespace: a, name: b, type: webhook}
kafka: {bootstrapServers: k:9092, topic: t, deadLetterTopic: t.dlq, groupId: g}
template: {contentVersion: 1}
webhook: {urlFile: /x, headersDir: )" + dir.string() +
                                        "}\n");
  ASSERT_TRUE(cfg.ok()) << cfg.error();
  cfg->url_file = (dir / "Authorization").string();  // any readable file will do for the URL here
  auto secrets = LoadSecrets(*cfg);
  std::filesystem::remove_all(dir);
  ASSERT_TRUE(secrets.ok()) << secrets.error();
  ASSERT_EQ(secrets->headers.size(), 1u);
  EXPECT_EQ(secrets->headers.at("Authorization"), "Bearer s3cret");
}

}  // namespace
}  // namespace herald::sidecar
