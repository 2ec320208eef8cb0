#include "config/sidecar_config.h"

#include <yaml-cpp/yaml.h>

#include <fstream>
#include <set>
#include <sstream>

#include "config/yaml_json.h"
#include "herald/duration.h"

namespace herald::config {
namespace {

using nlohmann::json;

// Walks one JSON object, remembering which keys were read so that leftovers
// (typos) are reported.
class Section {
 public:
  Section(const json& obj, std::string path) : obj_(obj), path_(std::move(path)) {}

  std::string Path(const std::string& key) const { return path_.empty() ? key : path_ + "." + key; }
  bool Has(const std::string& key) {
    seen_.insert(key);
    return obj_.contains(key) && !obj_[key].is_null();
  }
  const json& Raw(const std::string& key) {
    seen_.insert(key);
    return obj_[key];
  }

  Status String(const std::string& key, std::string* out, bool required = false) {
    if (!Has(key)) return required ? Status(Error{Path(key) + ": required"}) : OkStatus();
    if (!obj_[key].is_string()) return Error{Path(key) + ": must be a string"};
    *out = obj_[key].get<std::string>();
    if (required && out->empty()) return Error{Path(key) + ": must not be empty"};
    return OkStatus();
  }
  Status Int(const std::string& key, int* out, int min, int max) {
    if (!Has(key)) return OkStatus();
    if (!obj_[key].is_number_integer()) return Error{Path(key) + ": must be an integer"};
    auto v = obj_[key].get<int64_t>();
    if (v < min || v > max) {
      return Error{Path(key) + ": " + std::to_string(v) + " is outside " + std::to_string(min) + ".." +
                   std::to_string(max)};
    }
    *out = static_cast<int>(v);
    return OkStatus();
  }
  Status Number(const std::string& key, double* out, double min) {
    if (!Has(key)) return OkStatus();
    if (!obj_[key].is_number()) return Error{Path(key) + ": must be a number"};
    *out = obj_[key].get<double>();
    if (*out < min) return Error{Path(key) + ": must be at least " + std::to_string(min)};
    return OkStatus();
  }
  Status Bool(const std::string& key, bool* out) {
    if (!Has(key)) return OkStatus();
    if (!obj_[key].is_boolean()) return Error{Path(key) + ": must be true or false"};
    *out = obj_[key].get<bool>();
    return OkStatus();
  }
  Status Duration(const std::string& key, std::chrono::milliseconds* out) {
    if (!Has(key)) return OkStatus();
    if (!obj_[key].is_string()) return Error{Path(key) + ": must be a duration string such as \"500ms\" or \"30s\""};
    auto d = ParseDuration(obj_[key].get<std::string>());
    if (!d || d->count() <= 0) {
      return Error{Path(key) + ": \"" + obj_[key].get<std::string>() +
                   "\" is not a positive duration (e.g. 500ms, 30s)"};
    }
    *out = std::chrono::duration_cast<std::chrono::milliseconds>(*d);
    return OkStatus();
  }
  Result<Section> Child(const std::string& key, bool required = false) {
    if (!Has(key)) {
      if (required) return Error{Path(key) + ": required"};
      return Section(empty_, Path(key));
    }
    if (!obj_[key].is_object()) return Error{Path(key) + ": must be a mapping"};
    return Section(obj_[key], Path(key));
  }
  // Unknown keys are errors: a misspelt key must not silently become a default.
  Status Finish() const {
    if (!obj_.is_object()) return OkStatus();
    for (auto it = obj_.begin(); it != obj_.end(); ++it) {
      if (!seen_.count(it.key())) return Error{Path(it.key()) + ": unknown key"};
    }
    return OkStatus();
  }

 private:
  inline static const json empty_ = json::object();
  const json& obj_;
  std::string path_;
  std::set<std::string> seen_;
};

#define HERALD_TRY(expr)                      \
  do {                                        \
    auto _st = (expr);                        \
    if (!_st.ok()) return Error{_st.error()}; \
  } while (0)

Status ParseDelivery(Section& d, DeliveryConfig* out) {
  HERALD_TRY(d.Int("maxAttempts", &out->max_attempts, 1, 100));
  auto b = d.Child("backoff");
  if (!b) return Error{b.error()};
  HERALD_TRY(b->Duration("initial", &out->backoff.initial));
  HERALD_TRY(b->Duration("max", &out->backoff.max));
  HERALD_TRY(b->Number("multiplier", &out->backoff.multiplier, 1.0));
  HERALD_TRY(b->Finish());
  if (out->backoff.initial > out->backoff.max) return Error{d.Path("backoff") + ": initial must not exceed max"};
  HERALD_TRY(d.Duration("timeout", &out->timeout));
  auto r = d.Child("rateLimit");
  if (!r) return Error{r.error()};
  if (d.Has("rateLimit")) {
    double per_second = 0;
    HERALD_TRY(r->Number("perSecond", &per_second, 0.001));
    if (!r->Has("perSecond")) return Error{r->Path("perSecond") + ": required"};
    out->rate_per_second = per_second;
    out->rate_burst = per_second;
    HERALD_TRY(r->Number("burst", &out->rate_burst, 1));
  }
  HERALD_TRY(r->Finish());
  HERALD_TRY(d.Int("concurrency", &out->concurrency, 1, 10000));
  auto dl = d.Child("deadLetter");
  if (!dl) return Error{dl.error()};
  HERALD_TRY(dl->Bool("enabled", &out->dead_letter));
  HERALD_TRY(dl->Finish());
  int max_bytes = static_cast<int>(out->max_message_bytes);
  HERALD_TRY(d.Int("maxMessageBytes", &max_bytes, 1024, 100 * 1024 * 1024));
  out->max_message_bytes = static_cast<size_t>(max_bytes);
  int dedupe = static_cast<int>(out->dedupe_per_partition);
  HERALD_TRY(d.Int("dedupePerPartition", &dedupe, 0, 10000000));
  out->dedupe_per_partition = static_cast<size_t>(dedupe);
  return d.Finish();
}

Status ParseSink(Section& root, SidecarConfig* cfg) {
  const char* names[] = {"slack", "teams", "webhook", "email"};
  const std::string want(ChannelKindName(cfg->kind));
  for (const char* n : names) {
    if (n != want && root.Has(n)) return Error{root.Path(n) + ": not allowed for a " + want + " channel"};
  }
  auto s = root.Child(want, /*required=*/true);
  if (!s) return Error{s.error()};
  switch (cfg->kind) {
    case ChannelKind::kSlack:
    case ChannelKind::kTeams:
      HERALD_TRY(s->String("webhookURLFile", &cfg->url_file, true));
      break;
    case ChannelKind::kWebhook: {
      HERALD_TRY(s->String("urlFile", &cfg->url_file, true));
      HERALD_TRY(s->String("signingSecretFile", &cfg->signing_secret_file));
      HERALD_TRY(s->String("headersDir", &cfg->headers_dir));
      if (s->Has("headers")) {
        const json& h = s->Raw("headers");
        if (!h.is_object()) return Error{s->Path("headers") + ": must be a mapping of header names to values"};
        for (auto it = h.begin(); it != h.end(); ++it) {
          if (!it.value().is_string()) return Error{s->Path("headers." + it.key()) + ": must be a string"};
          cfg->headers[it.key()] = it.value().get<std::string>();
        }
      }
      break;
    }
    case ChannelKind::kEmail: {
      auto smtp = s->Child("smtp", true);
      if (!smtp) return Error{smtp.error()};
      HERALD_TRY(smtp->String("host", &cfg->smtp.host, true));
      HERALD_TRY(smtp->Int("port", &cfg->smtp.port, 1, 65535));
      HERALD_TRY(smtp->String("tls", &cfg->smtp.tls));
      if (cfg->smtp.tls != "starttls" && cfg->smtp.tls != "implicit" && cfg->smtp.tls != "none") {
        return Error{smtp->Path("tls") + ": \"" + cfg->smtp.tls + "\" is not one of starttls, implicit, none"};
      }
      HERALD_TRY(smtp->String("usernameFile", &cfg->smtp.username_file));
      HERALD_TRY(smtp->String("passwordFile", &cfg->smtp.password_file));
      HERALD_TRY(smtp->String("caFile", &cfg->smtp.ca_file));
      if (cfg->smtp.username_file.empty() != cfg->smtp.password_file.empty()) {
        return Error{smtp->Path("usernameFile") + ": usernameFile and passwordFile go together"};
      }
      HERALD_TRY(smtp->Finish());
      HERALD_TRY(s->String("from", &cfg->email_from, true));
      if (s->Has("to")) {
        const json& to = s->Raw("to");
        if (!to.is_array()) return Error{s->Path("to") + ": must be a list of addresses"};
        for (const auto& a : to) {
          if (!a.is_string()) return Error{s->Path("to") + ": must be a list of addresses"};
          cfg->email_to.push_back(a.get<std::string>());
        }
      }
      break;
    }
  }
  return s->Finish();
}

Result<SidecarConfig> Parse(const json& doc) {
  if (!doc.is_object()) return Error{"the configuration must be a YAML mapping"};
  SidecarConfig cfg;
  Section root(doc, "");

  auto ch = root.Child("channel", true);
  if (!ch) return Error{ch.error()};
  HERALD_TRY(ch->String("namespace", &cfg.channel_namespace, true));
  HERALD_TRY(ch->String("name", &cfg.channel_name, true));
  std::string type;
  HERALD_TRY(ch->String("type", &type, true));
  auto kind = ParseChannelKind(type);
  if (!kind) return Error{ch->Path("type") + ": \"" + type + "\" is not one of email, slack, teams, webhook"};
  cfg.kind = *kind;
  HERALD_TRY(ch->Finish());

  auto k = root.Child("kafka", true);
  if (!k) return Error{k.error()};
  HERALD_TRY(k->String("bootstrapServers", &cfg.bootstrap_servers, true));
  HERALD_TRY(k->String("topic", &cfg.topic, true));
  HERALD_TRY(k->String("deadLetterTopic", &cfg.dead_letter_topic));
  HERALD_TRY(k->String("groupId", &cfg.group_id, true));
  HERALD_TRY(k->String("eventsTopic", &cfg.events_topic));
  HERALD_TRY(k->String("propertiesFile", &cfg.kafka_properties_file));
  HERALD_TRY(k->Finish());

  auto d = root.Child("delivery");
  if (!d) return Error{d.error()};
  HERALD_TRY(ParseDelivery(*d, &cfg.delivery));
  if (cfg.delivery.dead_letter && cfg.dead_letter_topic.empty()) {
    return Error{"kafka.deadLetterTopic: required when delivery.deadLetter.enabled is true"};
  }
  HERALD_TRY(root.Duration("drainTimeout", &cfg.drain_timeout));

  if (!root.Has("template")) return Error{"template: required"};
  auto spec = ParseTemplateSpec(root.Raw("template"));
  if (!spec) return Error{"template: " + spec.error()};
  cfg.template_spec = *spec;
  if (auto st = Supports(cfg.template_spec, cfg.kind); !st.ok()) return Error{"template: " + st.error()};

  HERALD_TRY(ParseSink(root, &cfg));

  auto srv = root.Child("server");
  if (!srv) return Error{srv.error()};
  HERALD_TRY(srv->String("metricsAddress", &cfg.metrics_address));
  HERALD_TRY(srv->String("probeAddress", &cfg.probe_address));
  HERALD_TRY(srv->Finish());
  auto lg = root.Child("log");
  if (!lg) return Error{lg.error()};
  HERALD_TRY(lg->String("level", &cfg.log_level));
  if (cfg.log_level != "debug" && cfg.log_level != "info" && cfg.log_level != "warn" && cfg.log_level != "error") {
    return Error{"log.level: \"" + cfg.log_level + "\" is not one of debug, info, warn, error"};
  }
  HERALD_TRY(lg->Finish());
  HERALD_TRY(root.Finish());
  return cfg;
}

}  // namespace

Result<SidecarConfig> ParseSidecarConfig(const std::string& yaml_text) {
  json doc;
  try {
    doc = YamlToJson(YAML::Load(yaml_text));
  } catch (const YAML::Exception& e) {
    return Error{std::string("not valid YAML: ") + e.what()};
  }
  return Parse(doc);
}

Result<SidecarConfig> LoadSidecarConfig(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Error{"config " + path + ": cannot be read"};
  std::stringstream ss;
  ss << in.rdbuf();
  auto cfg = ParseSidecarConfig(ss.str());
  if (!cfg) return Error{"config " + path + ": " + cfg.error()};
  return cfg;
}

}  // namespace herald::config
