#include "operator/core/channel.h"

#include <cmath>
#include <initializer_list>
#include <limits>
#include <string_view>

#include "herald/duration.h"
#include "operator/core/names.h"

namespace herald::op {
namespace {

using nlohmann::json;
using std::chrono::nanoseconds;

#define HERALD_RETURN_IF_ERROR(expr)            \
  do {                                          \
    if (auto status_ = (expr); !status_.ok()) { \
      return ::herald::Error{status_.error()};  \
    }                                           \
  } while (false)

std::string Join(std::string_view path, std::string_view key) {
  return path.empty() ? std::string(key) : std::string(path) + "." + std::string(key);
}

std::string Quote(std::string_view s) { return json(std::string(s)).dump(); }

// Returns the member, or nullptr when it is absent or null (a null field is
// what a client sends to mean "unset", and the API server defaults it).
const json* Member(const json& object, std::string_view key) {
  const auto it = object.find(key);
  if (it == object.end() || it->is_null()) return nullptr;
  return &*it;
}

// Sets *out to the member object (nullptr when absent).
Status ReadObject(const json& parent, std::string_view key, std::string_view path, const json** out,
                  bool required = false) {
  *out = Member(parent, key);
  if (*out == nullptr) {
    if (required) return Error{Join(path, key) + ": required"};
    return OkStatus();
  }
  if (!(*out)->is_object()) return Error{Join(path, key) + ": must be an object, got " + (*out)->type_name()};
  return OkStatus();
}

Status ReadString(const json& parent, std::string_view key, std::string_view path, std::string* out,
                  bool required = false, size_t max_length = 4096) {
  const json* v = Member(parent, key);
  if (v == nullptr) {
    if (required) return Error{Join(path, key) + ": required"};
    return OkStatus();
  }
  if (!v->is_string()) return Error{Join(path, key) + ": must be a string, got " + v->type_name()};
  const auto& s = v->get_ref<const std::string&>();
  if (required && s.empty()) return Error{Join(path, key) + ": must not be empty"};
  if (s.size() > max_length) {
    return Error{Join(path, key) + ": must be at most " + std::to_string(max_length) + " characters, got " +
                 std::to_string(s.size())};
  }
  *out = s;
  return OkStatus();
}

template <typename Int>
Status ReadInt(const json& parent, std::string_view key, std::string_view path, int64_t lo, int64_t hi, Int* out,
               bool required = false) {
  const json* v = Member(parent, key);
  if (v == nullptr) {
    if (required) return Error{Join(path, key) + ": required"};
    return OkStatus();
  }
  const std::string range = "must be an integer from " + std::to_string(lo) + " to " + std::to_string(hi);
  if (!v->is_number_integer()) return Error{Join(path, key) + ": " + range + ", got " + v->dump()};
  if (v->is_number_unsigned() && v->get<uint64_t>() > static_cast<uint64_t>(hi)) {
    return Error{Join(path, key) + ": " + range + ", got " + v->dump()};
  }
  const auto n = v->get<int64_t>();
  if (n < lo || n > hi) return Error{Join(path, key) + ": " + range + ", got " + v->dump()};
  *out = static_cast<Int>(n);
  return OkStatus();
}

Status ReadNumber(const json& parent, std::string_view key, std::string_view path, double lo, double hi, double* out) {
  const json* v = Member(parent, key);
  if (v == nullptr) return OkStatus();
  const auto text = [](double d) {
    return d == std::trunc(d) ? std::to_string(static_cast<int64_t>(d)) : json(d).dump();
  };
  const std::string range = "must be a number from " + text(lo) + " to " + text(hi);
  if (!v->is_number()) return Error{Join(path, key) + ": " + range + ", got " + v->dump()};
  const double d = v->get<double>();
  if (!std::isfinite(d) || d < lo || d > hi) return Error{Join(path, key) + ": " + range + ", got " + v->dump()};
  *out = d;
  return OkStatus();
}

Status ReadBool(const json& parent, std::string_view key, std::string_view path, bool* out) {
  const json* v = Member(parent, key);
  if (v == nullptr) return OkStatus();
  if (!v->is_boolean()) return Error{Join(path, key) + ": must be true or false, got " + v->dump()};
  *out = v->get<bool>();
  return OkStatus();
}

Status ReadEnum(const json& parent, std::string_view key, std::string_view path,
                std::initializer_list<std::string_view> allowed, std::string* out, bool required = false) {
  std::string value;
  HERALD_RETURN_IF_ERROR(ReadString(parent, key, path, &value, required));
  if (Member(parent, key) == nullptr) return OkStatus();
  std::string list;
  for (const auto a : allowed) {
    if (a == value) {
      *out = value;
      return OkStatus();
    }
    if (!list.empty()) list += ", ";
    list += a;
  }
  return Error{Join(path, key) + ": must be one of " + list + ", got " + Quote(value)};
}

Status ReadDuration(const json& parent, std::string_view key, std::string_view path, nanoseconds lo, nanoseconds hi,
                    nanoseconds* out) {
  std::string text;
  HERALD_RETURN_IF_ERROR(ReadString(parent, key, path, &text, false, 32));
  if (Member(parent, key) == nullptr) return OkStatus();
  const auto d = ParseDuration(text);
  if (!d) {
    return Error{Join(path, key) + ": " + Quote(text) +
                 " is not a duration: write numbers with units (ns, us, ms, s, m, h) and no spaces, such as 30s"};
  }
  if (*d < lo || *d > hi) {
    return Error{Join(path, key) + ": " + Quote(text) + " must be between " + FormatDuration(lo) + " and " +
                 FormatDuration(hi)};
  }
  *out = *d;
  return OkStatus();
}

bool IsLowerAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

// RFC 1123 subdomain, as Kubernetes names of Secrets and Templates.
bool IsDnsSubdomain(std::string_view s) {
  if (s.empty() || s.size() > 253) return false;
  size_t start = 0;
  while (start <= s.size()) {
    const size_t dot = s.find('.', start);
    const std::string_view label = s.substr(start, dot == std::string_view::npos ? s.npos : dot - start);
    if (label.empty() || !IsLowerAlnum(label.front()) || !IsLowerAlnum(label.back())) return false;
    for (const char c : label) {
      if (!IsLowerAlnum(c) && c != '-') return false;
    }
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return true;
}

Status ReadObjectName(const json& parent, std::string_view key, std::string_view path, std::string_view what,
                      std::string* out) {
  HERALD_RETURN_IF_ERROR(ReadString(parent, key, path, out, true, 253));
  if (!IsDnsSubdomain(*out)) {
    return Error{Join(path, key) + ": " + Quote(*out) + " is not a valid " + std::string(what) +
                 " name: use lower-case letters, digits, '-' and '.', starting and ending with a letter or digit"};
  }
  return OkStatus();
}

// A Secret key becomes a file name in a secret volume, so "." and ".." (which
// the API server refuses as keys anyway) must never get through.
Status ReadSecretKeyName(const json& parent, std::string_view path, std::string* out) {
  HERALD_RETURN_IF_ERROR(ReadString(parent, "key", path, out, true, 253));
  bool ok = *out != "." && *out != "..";
  for (const char c : *out) {
    ok = ok && (IsLowerAlnum(c) || (c >= 'A' && c <= 'Z') || c == '-' || c == '.' || c == '_');
  }
  if (!ok) {
    return Error{Join(path, "key") + ": " + Quote(*out) +
                 " is not a valid Secret key: use letters, digits, '-', '_' and '.'"};
  }
  return OkStatus();
}

Status ReadSecretKeyRef(const json& parent, std::string_view key, std::string_view path,
                        std::optional<SecretKeyRef>* out, bool required) {
  const json* obj = nullptr;
  HERALD_RETURN_IF_ERROR(ReadObject(parent, key, path, &obj, required));
  if (obj == nullptr) return OkStatus();
  const std::string p = Join(path, key);
  SecretKeyRef ref;
  HERALD_RETURN_IF_ERROR(ReadObjectName(*obj, "name", p, "Secret", &ref.name));
  HERALD_RETURN_IF_ERROR(ReadSecretKeyName(*obj, p, &ref.key));
  *out = std::move(ref);
  return OkStatus();
}

Status ReadSecretRef(const json& parent, std::string_view key, std::string_view path, std::optional<SecretRef>* out) {
  const json* obj = nullptr;
  HERALD_RETURN_IF_ERROR(ReadObject(parent, key, path, &obj));
  if (obj == nullptr) return OkStatus();
  SecretRef ref;
  HERALD_RETURN_IF_ERROR(ReadObjectName(*obj, "name", Join(path, key), "Secret", &ref.name));
  *out = std::move(ref);
  return OkStatus();
}

Status ParseEmail(const json& obj, EmailSpec* email) {
  const json* smtp = nullptr;
  HERALD_RETURN_IF_ERROR(ReadObject(obj, "smtp", "spec.email", &smtp, true));
  HERALD_RETURN_IF_ERROR(ReadString(*smtp, "host", "spec.email.smtp", &email->smtp.host, true, 253));
  HERALD_RETURN_IF_ERROR(ReadInt(*smtp, "port", "spec.email.smtp", 1, 65535, &email->smtp.port));
  HERALD_RETURN_IF_ERROR(ReadEnum(*smtp, "tls", "spec.email.smtp", {"starttls", "implicit", "none"}, &email->smtp.tls));
  HERALD_RETURN_IF_ERROR(ReadSecretRef(*smtp, "credentialsSecretRef", "spec.email.smtp", &email->smtp.credentials));
  HERALD_RETURN_IF_ERROR(ReadSecretKeyRef(*smtp, "caSecretRef", "spec.email.smtp", &email->smtp.ca, false));
  HERALD_RETURN_IF_ERROR(ReadString(obj, "from", "spec.email", &email->from, true, 320));
  if (const json* to = Member(obj, "to"); to != nullptr) {
    if (!to->is_array())
      return Error{"spec.email.to: must be an array of strings, got " + std::string(to->type_name())};
    for (size_t i = 0; i < to->size(); ++i) {
      const json& item = (*to)[i];
      const std::string p = "spec.email.to[" + std::to_string(i) + "]";
      if (!item.is_string() || item.get_ref<const std::string&>().empty()) {
        return Error{p + ": must be a non-empty string, got " + item.dump()};
      }
      email->to.push_back(item.get<std::string>());
    }
  }
  return OkStatus();
}

// RFC 9110 token characters.
bool IsHeaderName(std::string_view name) {
  if (name.empty() || name.size() > 128) return false;
  for (const char c : name) {
    const bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (!alnum && std::string_view("!#$%&'*+-.^_`|~").find(c) == std::string_view::npos) return false;
  }
  return true;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

Status ParseWebhook(const json& obj, WebhookSpec* webhook) {
  std::optional<SecretKeyRef> url;
  HERALD_RETURN_IF_ERROR(ReadSecretKeyRef(obj, "urlSecretRef", "spec.webhook", &url, true));
  webhook->url = *url;
  HERALD_RETURN_IF_ERROR(ReadSecretKeyRef(obj, "signingSecretRef", "spec.webhook", &webhook->signing, false));
  HERALD_RETURN_IF_ERROR(ReadSecretRef(obj, "headersSecretRef", "spec.webhook", &webhook->headers_secret));
  const json* headers = nullptr;
  HERALD_RETURN_IF_ERROR(ReadObject(obj, "headers", "spec.webhook", &headers));
  if (headers == nullptr) return OkStatus();
  for (const auto& [name, value] : headers->items()) {
    const std::string p = "spec.webhook.headers[" + Quote(name) + "]";
    if (!IsHeaderName(name)) return Error{p + ": not an HTTP header name"};
    // These would put credentials into the ConfigMap, which is readable far
    // more widely than a Secret.
    const std::string lower = Lower(name);
    if (lower == "authorization" || lower == "proxy-authorization" || lower == "cookie" || lower == "x-api-key") {
      return Error{p + ": credentials must not be inline; put them in a Secret and use spec.webhook.headersSecretRef"};
    }
    if (!value.is_string()) return Error{p + ": must be a string, got " + value.dump()};
    if (value.get_ref<const std::string&>().size() > 4096) return Error{p + ": must be at most 4096 characters"};
    webhook->headers.emplace(name, value.get<std::string>());
  }
  return OkStatus();
}

Status ParseKafka(const json& spec, const std::string& ns, const std::string& name, KafkaSpec* kafka) {
  const json* obj = nullptr;
  HERALD_RETURN_IF_ERROR(ReadObject(spec, "kafka", "spec", &obj));
  if (obj != nullptr) {
    std::string topic;
    HERALD_RETURN_IF_ERROR(ReadString(*obj, "topic", "spec.kafka", &topic, false, 249));
    if (Member(*obj, "topic") != nullptr) kafka->topic = topic;
    HERALD_RETURN_IF_ERROR(ReadInt(*obj, "partitions", "spec.kafka", 1, 10000, &kafka->partitions));
    HERALD_RETURN_IF_ERROR(ReadInt(*obj, "replicationFactor", "spec.kafka", 1, 32, &kafka->replication_factor));
    // 100 years: far beyond any sensible retention, and keeps retention.ms
    // (and the dead-letter topic's) well inside int64.
    HERALD_RETURN_IF_ERROR(ReadDuration(*obj, "retention", "spec.kafka", std::chrono::seconds{1},
                                        std::chrono::hours{24 * 365 * 100}, &kafka->retention));
  }
  // The namespace is invisible to CEL, so only here is the exact length of
  // the derived names known.
  const std::string topic = kafka->topic ? *kafka->topic : DefaultTopicName(ns, name);
  for (const std::string& t : {topic, DeadLetterTopicName(topic)}) {
    if (auto s = ValidateTopicName(t); !s.ok()) {
      if (kafka->topic) return Error{"spec.kafka.topic: " + s.error()};
      return Error{"metadata.name: the derived topic " + s.error() + "; use a shorter name or set spec.kafka.topic"};
    }
  }
  return OkStatus();
}

Status ParseDelivery(const json& spec, DeliverySpec* d) {
  const json* obj = nullptr;
  HERALD_RETURN_IF_ERROR(ReadObject(spec, "delivery", "spec", &obj));
  if (obj == nullptr) return OkStatus();
  const std::string p = "spec.delivery";
  HERALD_RETURN_IF_ERROR(ReadInt(*obj, "maxAttempts", p, 1, 100, &d->max_attempts));
  const json* backoff = nullptr;
  HERALD_RETURN_IF_ERROR(ReadObject(*obj, "backoff", p, &backoff));
  if (backoff != nullptr) {
    const std::string bp = p + ".backoff";
    HERALD_RETURN_IF_ERROR(ReadDuration(*backoff, "initial", bp, std::chrono::milliseconds{1}, std::chrono::hours{1},
                                        &d->backoff.initial));
    HERALD_RETURN_IF_ERROR(
        ReadDuration(*backoff, "max", bp, std::chrono::milliseconds{1}, std::chrono::hours{24}, &d->backoff.max));
    HERALD_RETURN_IF_ERROR(ReadNumber(*backoff, "multiplier", bp, 1, 10, &d->backoff.multiplier));
  }
  if (d->backoff.initial > d->backoff.max) {
    return Error{p + ".backoff.max: " + FormatDuration(d->backoff.max) + " is shorter than initial " +
                 FormatDuration(d->backoff.initial)};
  }
  HERALD_RETURN_IF_ERROR(
      ReadDuration(*obj, "timeout", p, std::chrono::milliseconds{1}, std::chrono::hours{1}, &d->timeout));
  const json* rate = nullptr;
  HERALD_RETURN_IF_ERROR(ReadObject(*obj, "rateLimit", p, &rate));
  if (rate != nullptr) {
    RateLimit r;
    HERALD_RETURN_IF_ERROR(ReadInt(*rate, "perSecond", p + ".rateLimit", 1, 100000, &r.per_second, true));
    r.burst = r.per_second;
    HERALD_RETURN_IF_ERROR(ReadInt(*rate, "burst", p + ".rateLimit", 1, 100000, &r.burst));
    d->rate_limit = r;
  }
  HERALD_RETURN_IF_ERROR(ReadInt(*obj, "concurrency", p, 1, 4096, &d->concurrency));
  const json* dead_letter = nullptr;
  HERALD_RETURN_IF_ERROR(ReadObject(*obj, "deadLetter", p, &dead_letter));
  if (dead_letter != nullptr) {
    HERALD_RETURN_IF_ERROR(ReadBool(*dead_letter, "enabled", p + ".deadLetter", &d->dead_letter_enabled));
  }
  return OkStatus();
}

Status ParseWorkers(const json& spec, WorkersSpec* w) {
  const json* obj = nullptr;
  HERALD_RETURN_IF_ERROR(ReadObject(spec, "workers", "spec", &obj));
  if (obj == nullptr) return OkStatus();
  const std::string p = "spec.workers";
  HERALD_RETURN_IF_ERROR(ReadInt(*obj, "replicas", p, 1, 1000, &w->replicas));
  const json* as = nullptr;
  HERALD_RETURN_IF_ERROR(ReadObject(*obj, "autoscaling", p, &as));
  if (as != nullptr) {
    const std::string ap = p + ".autoscaling";
    Autoscaling a;
    HERALD_RETURN_IF_ERROR(ReadInt(*as, "minReplicas", ap, 1, 1000, &a.min_replicas));
    HERALD_RETURN_IF_ERROR(ReadInt(*as, "maxReplicas", ap, 1, 1000, &a.max_replicas, true));
    HERALD_RETURN_IF_ERROR(ReadInt(*as, "targetCPUUtilization", ap, 1, 100, &a.target_cpu_utilization));
    std::string scale_down = "Disabled";
    HERALD_RETURN_IF_ERROR(ReadEnum(*as, "scaleDown", ap, {"Disabled", "Enabled"}, &scale_down));
    a.scale_down = scale_down == "Enabled" ? ScaleDown::kEnabled : ScaleDown::kDisabled;
    if (a.max_replicas < a.min_replicas) {
      return Error{ap + ".maxReplicas: " + std::to_string(a.max_replicas) + " is below minReplicas " +
                   std::to_string(a.min_replicas)};
    }
    w->autoscaling = a;
  }
  HERALD_RETURN_IF_ERROR(
      ReadInt(*obj, "terminationGracePeriodSeconds", p, 1, 3600, &w->termination_grace_period_seconds));
  // The CRD bounds drainTimeout only by terminationGracePeriodSeconds (at most
  // 3600 s); the builders raise the grace period when it is too short, so an
  // upper bound here just keeps the arithmetic far from overflow.
  HERALD_RETURN_IF_ERROR(
      ReadDuration(*obj, "drainTimeout", p, nanoseconds{0}, std::chrono::hours{24}, &w->drain_timeout));
  return OkStatus();
}

// The section named by spec.type must be present and the other three absent.
Status CheckSections(const json& spec, ChannelKind type) {
  for (const ChannelKind kind : kAllChannelKinds) {
    const std::string_view section = ChannelKindName(kind);
    const bool present = Member(spec, section) != nullptr;
    if (kind == type && !present) {
      return Error{"spec." + std::string(section) + ": required when spec.type is " + std::string(section)};
    }
    if (kind != type && present) {
      return Error{"spec." + std::string(section) + ": must not be set when spec.type is " +
                   std::string(ChannelKindName(type))};
    }
  }
  return OkStatus();
}

Result<Channel> Parse(const json& object) {
  if (!object.is_object()) return Error{std::string("object: must be a JSON object, got ") + object.type_name()};
  Channel c;
  const json* metadata = nullptr;
  HERALD_RETURN_IF_ERROR(ReadObject(object, "metadata", "", &metadata, true));
  HERALD_RETURN_IF_ERROR(ReadString(*metadata, "name", "metadata", &c.name, true, 253));
  HERALD_RETURN_IF_ERROR(ReadString(*metadata, "namespace", "metadata", &c.namespace_name, true, 63));
  HERALD_RETURN_IF_ERROR(ReadString(*metadata, "uid", "metadata", &c.uid, true, 128));
  HERALD_RETURN_IF_ERROR(
      ReadInt(*metadata, "generation", "metadata", 0, std::numeric_limits<int64_t>::max(), &c.generation));
  HERALD_RETURN_IF_ERROR(ReadString(*metadata, "creationTimestamp", "metadata", &c.creation_timestamp, false, 64));

  const json* spec = nullptr;
  HERALD_RETURN_IF_ERROR(ReadObject(object, "spec", "", &spec, true));
  std::string type;
  HERALD_RETURN_IF_ERROR(ReadEnum(*spec, "type", "spec", {"email", "slack", "teams", "webhook"}, &type, true));
  c.type = *ParseChannelKind(type);  // one of the four names checked just above
  const json* template_ref = nullptr;
  HERALD_RETURN_IF_ERROR(ReadObject(*spec, "templateRef", "spec", &template_ref, true));
  HERALD_RETURN_IF_ERROR(ReadObjectName(*template_ref, "name", "spec.templateRef", "Template", &c.template_name));

  HERALD_RETURN_IF_ERROR(CheckSections(*spec, c.type));
  const json* section = Member(*spec, ChannelKindName(c.type));
  if (!section->is_object()) {
    return Error{"spec." + std::string(ChannelKindName(c.type)) + ": must be an object, got " + section->type_name()};
  }
  switch (c.type) {
    case ChannelKind::kEmail:
      c.email.emplace();
      HERALD_RETURN_IF_ERROR(ParseEmail(*section, &*c.email));
      break;
    case ChannelKind::kSlack: {
      std::optional<SecretKeyRef> ref;
      HERALD_RETURN_IF_ERROR(ReadSecretKeyRef(*section, "webhookURLSecretRef", "spec.slack", &ref, true));
      c.slack = SlackSpec{*ref};
      break;
    }
    case ChannelKind::kTeams: {
      std::optional<SecretKeyRef> ref;
      HERALD_RETURN_IF_ERROR(ReadSecretKeyRef(*section, "webhookURLSecretRef", "spec.teams", &ref, true));
      c.teams = TeamsSpec{*ref};
      break;
    }
    case ChannelKind::kWebhook:
      c.webhook.emplace();
      HERALD_RETURN_IF_ERROR(ParseWebhook(*section, &*c.webhook));
      break;
  }

  HERALD_RETURN_IF_ERROR(ParseKafka(*spec, c.namespace_name, c.name, &c.kafka));
  HERALD_RETURN_IF_ERROR(ParseDelivery(*spec, &c.delivery));
  HERALD_RETURN_IF_ERROR(ParseWorkers(*spec, &c.workers));
  HERALD_RETURN_IF_ERROR(ReadBool(*spec, "suspend", "spec", &c.suspend));
  std::string policy = "Retain";
  HERALD_RETURN_IF_ERROR(ReadEnum(*spec, "deletionPolicy", "spec", {"Retain", "Delete"}, &policy));
  c.deletion_policy = policy == "Delete" ? DeletionPolicy::kDelete : DeletionPolicy::kRetain;
  return c;
}

}  // namespace

Result<Channel> ParseChannel(const json& object) {
  // nlohmann::json throws only on misuse (guarded above) or allocation
  // failure; neither may cross the module boundary.
  try {
    return Parse(object);
  } catch (const std::exception& e) {
    return Error{std::string("NotificationChannel: ") + e.what()};
  }
}

ObjectKey TemplateRef(const Channel& channel) { return {channel.namespace_name, channel.template_name}; }

std::string ChannelKey(const Channel& channel) { return channel.namespace_name + "/" + channel.name; }

}  // namespace herald::op
