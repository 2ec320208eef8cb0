#include "operator/core/sidecar_config.h"

#include <yaml-cpp/yaml.h>

#include <charconv>
#include <cmath>

#include "herald/duration.h"
#include "operator/core/hash.h"
#include "operator/core/names.h"
#include "operator/core/secret_mounts.h"

namespace herald::op {
namespace {

using nlohmann::json;

// Every string value is double-quoted: names such as "true", "123" or "null"
// and templates starting with "{{" must stay strings whatever YAML's plain
// scalar rules say.
void Str(YAML::Emitter& out, std::string_view key, std::string_view value) {
  out << YAML::Key << std::string(key) << YAML::Value << YAML::DoubleQuoted << std::string(value);
}

void Int(YAML::Emitter& out, std::string_view key, int64_t value) {
  out << YAML::Key << std::string(key) << YAML::Value << value;
}

void Bool(YAML::Emitter& out, std::string_view key, bool value) {
  out << YAML::Key << std::string(key) << YAML::Value << YAML::TrueFalseBool << value;
}

// Shortest text that reads back as the same double (2 -> "2", 1.5 -> "1.5").
std::string Number(double d) {
  if (std::trunc(d) == d && std::fabs(d) < 1e15) return std::to_string(static_cast<int64_t>(d));
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof buf, d);
  return std::string(buf, r.ptr);
}

void Duration(YAML::Emitter& out, std::string_view key, std::chrono::nanoseconds d) {
  Str(out, key, FormatDuration(d));
}

Status CheckString(const json& obj, const char* key, const std::string& path) {
  const auto it = obj.find(key);
  if (it == obj.end() || it->is_null() || it->is_string()) return OkStatus();
  return Error{path + "." + key + ": must be a string, got " + it->type_name()};
}

void OptionalStr(YAML::Emitter& out, const json& obj, const char* key) {
  const auto it = obj.find(key);
  if (it != obj.end() && it->is_string()) Str(out, key, it->get_ref<const std::string&>());
}

// Copies the Template spec's fields the sidecar knows, in a fixed order.
Status EmitTemplate(YAML::Emitter& out, const json& spec) {
  if (!spec.is_object()) return Error{std::string("template: must be an object, got ") + spec.type_name()};
  int64_t content_version = 1;
  if (const auto it = spec.find("contentVersion"); it != spec.end() && !it->is_null()) {
    if (!it->is_number_integer() || it->get<int64_t>() < 1) {
      return Error{"template.contentVersion: must be an integer of at least 1, got " + it->dump()};
    }
    content_version = it->get<int64_t>();
  }
  for (const char* key : {"subject", "text", "html"}) {
    if (auto s = CheckString(spec, key, "template"); !s.ok()) return s;
  }
  const struct {
    const char* section;
    std::initializer_list<const char*> keys;
  } sections[] = {{"slack", {"text", "blocks"}}, {"teams", {"card"}}, {"webhook", {"body"}}};
  for (const auto& s : sections) {
    const auto it = spec.find(s.section);
    if (it == spec.end() || it->is_null()) continue;
    const std::string path = std::string("template.") + s.section;
    if (!it->is_object()) return Error{path + ": must be an object, got " + it->type_name()};
    for (const char* key : s.keys) {
      if (auto st = CheckString(*it, key, path); !st.ok()) return st;
    }
  }

  out << YAML::Key << "template" << YAML::Value << YAML::BeginMap;
  Int(out, "contentVersion", content_version);
  for (const char* key : {"subject", "text", "html"}) OptionalStr(out, spec, key);
  for (const auto& s : sections) {
    const auto it = spec.find(s.section);
    if (it == spec.end() || it->is_null()) continue;
    out << YAML::Key << s.section << YAML::Value << YAML::BeginMap;
    for (const char* key : s.keys) OptionalStr(out, *it, key);
    out << YAML::EndMap;
  }
  out << YAML::EndMap;
  return OkStatus();
}

const SecretMount* FindMount(const std::vector<SecretMount>& mounts, std::string_view volume) {
  for (const auto& m : mounts) {
    if (m.volume == volume) return &m;
  }
  return nullptr;
}

void EmitDestination(YAML::Emitter& out, const Channel& channel) {
  const auto mounts = SecretMounts(channel);
  const std::string section(ChannelKindName(channel.type));
  out << YAML::Key << section << YAML::Value << YAML::BeginMap;
  switch (channel.type) {
    case ChannelKind::kEmail: {
      const EmailSpec& email = *channel.email;
      out << YAML::Key << "smtp" << YAML::Value << YAML::BeginMap;
      Str(out, "host", email.smtp.host);
      Int(out, "port", email.smtp.port);
      Str(out, "tls", email.smtp.tls);
      if (const SecretMount* m = FindMount(mounts, "smtp")) {
        Str(out, "usernameFile", m->FilePath("username"));
        Str(out, "passwordFile", m->FilePath("password"));
      }
      if (const SecretMount* m = FindMount(mounts, "smtp-ca")) Str(out, "caFile", m->FilePath(email.smtp.ca->key));
      out << YAML::EndMap;
      Str(out, "from", email.from);
      if (!email.to.empty()) {
        out << YAML::Key << "to" << YAML::Value << YAML::BeginSeq;
        for (const auto& to : email.to) out << YAML::DoubleQuoted << to;
        out << YAML::EndSeq;
      }
      break;
    }
    case ChannelKind::kSlack:
      Str(out, "webhookURLFile", FindMount(mounts, "slack")->FilePath(channel.slack->webhook_url.key));
      break;
    case ChannelKind::kTeams:
      Str(out, "webhookURLFile", FindMount(mounts, "teams")->FilePath(channel.teams->webhook_url.key));
      break;
    case ChannelKind::kWebhook: {
      const WebhookSpec& hook = *channel.webhook;
      Str(out, "urlFile", FindMount(mounts, "webhook")->FilePath(hook.url.key));
      if (hook.signing)
        Str(out, "signingSecretFile", FindMount(mounts, "webhook-signing")->FilePath(hook.signing->key));
      if (!hook.headers.empty()) {
        out << YAML::Key << "headers" << YAML::Value << YAML::BeginMap;
        for (const auto& [name, value] : hook.headers) {
          out << YAML::Key << YAML::DoubleQuoted << name << YAML::Value << YAML::DoubleQuoted << value;
        }
        out << YAML::EndMap;
      }
      if (hook.headers_secret) Str(out, "headersDir", FindMount(mounts, "webhook-headers")->MountPath());
      break;
    }
  }
  out << YAML::EndMap;
}

Result<std::string> Render(const Channel& channel, const json& template_spec, const OperatorSettings& settings) {
  if (settings.bootstrap_servers.empty()) {
    return Error{"operator settings: Kafka bootstrap servers are empty (--kafka-bootstrap-servers)"};
  }
  const std::string topic = TopicName(channel);
  YAML::Emitter out;
  out.SetIndent(2);
  out << YAML::Comment("Rendered by herald-operator from NotificationChannel " + ChannelKey(channel) +
                       "; edits are overwritten.");
  out << YAML::BeginMap;

  out << YAML::Key << "channel" << YAML::Value << YAML::BeginMap;
  Str(out, "namespace", channel.namespace_name);
  Str(out, "name", channel.name);
  Str(out, "type", ChannelKindName(channel.type));
  out << YAML::EndMap;

  out << YAML::Key << "kafka" << YAML::Value << YAML::BeginMap;
  Str(out, "bootstrapServers", settings.bootstrap_servers);
  Str(out, "topic", topic);
  Str(out, "deadLetterTopic", DeadLetterTopicName(topic));
  Str(out, "groupId", ConsumerGroup(channel));
  Str(out, "eventsTopic", settings.events_topic);
  if (settings.kafka_properties) Str(out, "propertiesFile", KafkaPropertiesPath());
  out << YAML::EndMap;

  const DeliverySpec& d = channel.delivery;
  out << YAML::Key << "delivery" << YAML::Value << YAML::BeginMap;
  Int(out, "maxAttempts", d.max_attempts);
  out << YAML::Key << "backoff" << YAML::Value << YAML::BeginMap;
  Duration(out, "initial", d.backoff.initial);
  Duration(out, "max", d.backoff.max);
  out << YAML::Key << "multiplier" << YAML::Value << Number(d.backoff.multiplier);
  out << YAML::EndMap;
  Duration(out, "timeout", d.timeout);
  if (d.rate_limit) {
    out << YAML::Key << "rateLimit" << YAML::Value << YAML::BeginMap;
    Int(out, "perSecond", d.rate_limit->per_second);
    Int(out, "burst", d.rate_limit->burst);
    out << YAML::EndMap;
  }
  Int(out, "concurrency", d.concurrency);
  out << YAML::Key << "deadLetter" << YAML::Value << YAML::BeginMap;
  Bool(out, "enabled", d.dead_letter_enabled);
  out << YAML::EndMap;
  out << YAML::EndMap;

  Duration(out, "drainTimeout", channel.workers.drain_timeout);
  if (auto s = EmitTemplate(out, template_spec); !s.ok()) return Error{s.error()};
  EmitDestination(out, channel);

  out << YAML::Key << "server" << YAML::Value << YAML::BeginMap;
  Str(out, "metricsAddress", ":" + std::to_string(kMetricsPort));
  Str(out, "probeAddress", ":" + std::to_string(kProbePort));
  out << YAML::EndMap;
  out << YAML::Key << "log" << YAML::Value << YAML::BeginMap;
  Str(out, "level", settings.log_level);
  out << YAML::EndMap;

  out << YAML::EndMap;
  if (!out.good()) return Error{"rendering sidecar.yaml: " + out.GetLastError()};
  return std::string(out.c_str()) + "\n";
}

}  // namespace

Result<std::string> RenderSidecarConfig(const Channel& channel, const json& template_spec,
                                        const OperatorSettings& settings) {
  try {
    return Render(channel, template_spec, settings);
  } catch (const std::exception& e) {
    return Error{std::string("rendering sidecar.yaml: ") + e.what()};
  }
}

std::string ConfigHash(std::string_view sidecar_yaml, std::optional<std::string_view> kafka_properties) {
  if (!kafka_properties) return Sha256Hex(sidecar_yaml);
  std::string input(sidecar_yaml);
  input += '\0';
  input += *kafka_properties;
  return Sha256Hex(input);
}

}  // namespace herald::op
