#include "sidecar/runtime/prepare.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "dispatch/address.h"
#include "dispatch/mime.h"
#include "herald/render.h"

namespace herald::sidecar {
namespace {

Result<std::string> ReadSecretFile(const std::string& key, const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error{key + ": cannot read " + path};
  std::stringstream ss;
  ss << in.rdbuf();
  std::string v = ss.str();
  // Secrets created with `kubectl create secret --from-file` often end in a newline.
  while (!v.empty() && (v.back() == '\n' || v.back() == '\r')) v.pop_back();
  if (v.empty()) return Error{key + ": " + path + " is empty"};
  return v;
}

bool IsHttpUrl(const std::string& url) { return url.rfind("https://", 0) == 0 || url.rfind("http://", 0) == 0; }

}  // namespace

Result<Secrets> LoadSecrets(const config::SidecarConfig& cfg) {
  Secrets s;
  const std::string section(ChannelKindName(cfg.kind));
  if (cfg.kind != ChannelKind::kEmail) {
    auto url =
        ReadSecretFile(section + (cfg.kind == ChannelKind::kWebhook ? ".urlFile" : ".webhookURLFile"), cfg.url_file);
    if (!url) return Error{url.error()};
    s.url = *url;
  }
  if (!cfg.signing_secret_file.empty()) {
    auto v = ReadSecretFile("webhook.signingSecretFile", cfg.signing_secret_file);
    if (!v) return Error{v.error()};
    s.signing_secret = *v;
  }
  if (!cfg.headers_dir.empty()) {
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(cfg.headers_dir, ec)) {
      // A mounted Secret also holds Kubernetes' own "..data" links: skip dot files.
      std::string name = entry.path().filename().string();
      if (name.empty() || name[0] == '.' || !entry.is_regular_file()) continue;
      auto v = ReadSecretFile("webhook.headersDir", entry.path().string());
      if (!v) return Error{v.error()};
      s.headers[name] = *v;
    }
    if (ec) return Error{"webhook.headersDir: cannot read " + cfg.headers_dir + ": " + ec.message()};
  }
  if (!cfg.smtp.username_file.empty()) {
    auto u = ReadSecretFile("email.smtp.usernameFile", cfg.smtp.username_file);
    if (!u) return Error{u.error()};
    auto p = ReadSecretFile("email.smtp.passwordFile", cfg.smtp.password_file);
    if (!p) return Error{p.error()};
    s.smtp_username = *u;
    s.smtp_password = *p;
  }
  return s;
}

Status ValidateStatic(const config::SidecarConfig& cfg, const Secrets& secrets) {
  if (cfg.kind != ChannelKind::kEmail && !IsHttpUrl(secrets.url)) {
    // Never echo the URL: for Slack and Teams it is itself the credential.
    return Error{std::string(ChannelKindName(cfg.kind)) + ": the target URL in the Secret is not an http(s) URL"};
  }
  if (!secrets.signing_secret.empty()) {
    auto signer = dispatch::WebhookSigner::Create(secrets.signing_secret);
    if (!signer) return Error{"webhook.signingSecretFile: " + signer.error()};
  }
  if (cfg.kind == ChannelKind::kEmail) {
    auto from = dispatch::ParseMailbox(cfg.email_from);
    if (!from) return Error{"email.from: " + from.error()};
    for (const auto& to : cfg.email_to) {
      auto m = dispatch::ParseMailbox(to);
      if (!m) return Error{"email.to: " + m.error()};
    }
  }
  return OkStatus();
}

Result<dispatch::DispatchRequest> Prepare(const config::SidecarConfig& cfg, const Secrets& secrets,
                                          const Envelope& envelope, std::chrono::system_clock::time_point now) {
  auto rendered = Render(cfg.template_spec, cfg.kind, envelope);
  if (!rendered) return Error{rendered.error()};
  dispatch::DispatchRequest req;
  req.timeout = cfg.delivery.timeout;

  if (cfg.kind != ChannelKind::kEmail) {
    dispatch::HttpPost post;
    post.url = secrets.url;
    post.body = std::move(rendered->body);
    post.headers.emplace_back("X-Herald-Global-Id", envelope.global_id);
    if (cfg.kind == ChannelKind::kWebhook) {
      for (const auto& [k, v] : cfg.headers) post.headers.emplace_back(k, v);
      for (const auto& [k, v] : secrets.headers) post.headers.emplace_back(k, v);
      if (!secrets.signing_secret.empty()) {
        auto signer = dispatch::WebhookSigner::Create(secrets.signing_secret);
        if (!signer) return Error{"webhook signing: " + signer.error()};
        auto h = signer->Headers(envelope.global_id, now, post.body);
        if (!h) return Error{"webhook signing: " + h.error()};
        post.headers.emplace_back(dispatch::kWebhookIdHeader, h->id);
        post.headers.emplace_back(dispatch::kWebhookTimestampHeader, h->timestamp);
        post.headers.emplace_back(dispatch::kWebhookSignatureHeader, h->signature);
      }
    }
    req.payload = std::move(post);
    return req;
  }

  // Email: the envelope's recipients, else the channel's defaults.
  const auto& wanted = envelope.email_recipients.empty() ? cfg.email_to : envelope.email_recipients;
  if (wanted.empty()) return Error{"recipients.email: the envelope names no recipients and the channel has no default"};
  dispatch::EmailMessage msg;
  auto from = dispatch::ParseMailbox(cfg.email_from);
  if (!from) return Error{"email.from: " + from.error()};
  msg.from = *from;
  for (const auto& r : wanted) {
    auto m = dispatch::ParseMailbox(r);
    if (!m) return Error{"recipients.email: \"" + r + "\": " + m.error()};
    msg.to.push_back(*m);
  }
  msg.subject = rendered->email.subject;
  msg.text = rendered->email.text;
  msg.html = rendered->email.html;
  msg.global_id = envelope.global_id;
  msg.date = now;
  msg.extra_headers.emplace_back("X-Herald-Global-Id", envelope.global_id);
  auto bytes = dispatch::BuildEmail(msg);
  if (!bytes) return Error{bytes.error()};

  dispatch::SmtpSend smtp;
  smtp.host = cfg.smtp.host;
  smtp.port = static_cast<uint16_t>(cfg.smtp.port);
  smtp.tls = cfg.smtp.tls == "implicit" ? dispatch::SmtpTls::kImplicit
             : cfg.smtp.tls == "none"   ? dispatch::SmtpTls::kNone
                                        : dispatch::SmtpTls::kStartTls;
  smtp.ca_file = cfg.smtp.ca_file;
  smtp.username = secrets.smtp_username;
  smtp.password = secrets.smtp_password;
  smtp.mail_from = msg.from.address();
  for (const auto& m : msg.to) smtp.recipients.push_back(m.address());
  smtp.message = std::move(*bytes);
  req.payload = std::move(smtp);
  return req;
}

}  // namespace herald::sidecar
