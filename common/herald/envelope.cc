#include "herald/envelope.h"

#include <openssl/rand.h>

#include <array>
#include <cstdio>
#include <exception>
#include <limits>
#include <utility>

#include "herald/envelope_json.h"
#include "herald/timefmt.h"

namespace herald {
namespace {

using nlohmann::json;

using json_util::QuoteForReason;
using json_util::TypeName;

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

bool IsHex(char c) { return IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

// Reads `n` digits at `pos`; returns -1 when any is not a digit.
int Digits(std::string_view s, size_t pos, size_t n) {
  if (pos + n > s.size()) return -1;
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (!IsDigit(s[i])) return -1;
    v = v * 10 + (s[i] - '0');
  }
  return v;
}

// Optional fields written as null are treated as absent: many JSON encoders
// emit null for unset fields.
const json* Field(const json& object, const char* name) {
  auto it = object.find(name);
  if (it == object.end() || it->is_null()) return nullptr;
  return &*it;
}

Result<std::string> RequiredString(const json& object, const char* name) {
  const json* v = Field(object, name);
  if (v == nullptr) return Error{std::string(name) + ": missing"};
  if (!v->is_string()) return Error{std::string(name) + ": must be a string, got " + TypeName(*v)};
  return v->get<std::string>();
}

Status StringArray(const json& value, const std::string& path, std::vector<std::string>* out) {
  if (!value.is_array()) return Error{path + ": must be an array of strings, got " + TypeName(value)};
  out->reserve(value.size());
  for (size_t i = 0; i < value.size(); ++i) {
    if (!value[i].is_string()) {
      return Error{path + "[" + std::to_string(i) + "]: must be a string, got " + TypeName(value[i])};
    }
    out->push_back(value[i].get<std::string>());
  }
  return OkStatus();
}

// Deliberately loose (the SMTP sender validates properly); it catches values
// that cannot be an address at all, so they dead-letter as invalid instead of
// failing later as a permanent delivery error.
bool LooksLikeEmail(std::string_view s) {
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f) return false;
  }
  const size_t at = s.rfind('@');
  return at != std::string_view::npos && at > 0 && at + 1 < s.size();
}

Result<ContentVersion> ParseContentVersion(std::string_view s) {
  const auto bad = [&] {
    return Error{"content.version: must be \"MAJOR\" or \"MAJOR.MINOR\" (digits), got " + QuoteForReason(s)};
  };
  const size_t dot = s.find('.');
  const std::string_view major = s.substr(0, dot);
  const std::string_view minor = dot == std::string_view::npos ? std::string_view{} : s.substr(dot + 1);
  // Nine digits always fit an int.
  const auto number = [](std::string_view d) -> int {
    if (d.empty() || d.size() > 9) return -1;
    return Digits(d, 0, d.size());
  };
  ContentVersion version;
  version.major = number(major);
  if (version.major < 0) return bad();
  if (dot != std::string_view::npos) {
    const int m = number(minor);
    if (m < 0) return bad();
    version.minor = m;
  }
  version.text = std::string(s);
  return version;
}

// The caller has bounded the nesting depth.
Result<Envelope> Validate(json value, std::string raw) {
  if (!value.is_object()) return Error{"record must be a JSON object, got " + TypeName(value)};
  Envelope env;

  auto id = RequiredString(value, "globalId");
  if (!id) return Error{id.error()};
  if (!IsUuid(*id)) return Error{"globalId: must be a UUID (8-4-4-4-12 hex digits), got " + QuoteForReason(*id)};
  env.global_id = std::move(*id);

  auto from = RequiredString(value, "from");
  if (!from) return Error{from.error()};
  if (from->empty()) return Error{"from: must not be empty"};
  env.from = std::move(*from);

  auto created_at = RequiredString(value, "createdAt");
  if (!created_at) return Error{created_at.error()};
  auto instant = ParseRfc3339(*created_at);
  if (!instant) return Error{"createdAt: " + instant.error()};
  env.created_at = std::move(*created_at);
  env.created_at_utc = *instant;

  const json* content = Field(value, "content");
  if (content == nullptr) return Error{"content: missing"};
  if (!content->is_object()) return Error{"content: must be an object, got " + TypeName(*content)};
  const json* version = Field(*content, "version");
  if (version == nullptr) return Error{"content.version: missing"};
  if (!version->is_string()) {
    return Error{"content.version: must be a string such as \"1\" or \"1.2\", got " + TypeName(*version)};
  }
  auto parsed_version = ParseContentVersion(version->get_ref<const std::string&>());
  if (!parsed_version) return Error{parsed_version.error()};
  env.content_version = *parsed_version;

  if (const json* type = Field(value, "type")) {
    if (!type->is_string()) return Error{"type: must be a string, got " + TypeName(*type)};
    env.type = type->get<std::string>();
  }
  if (const json* created_by = Field(value, "createdBy")) {
    if (!created_by->is_string()) return Error{"createdBy: must be a string, got " + TypeName(*created_by)};
    env.created_by = created_by->get<std::string>();
  }
  if (const json* users = Field(value, "toUserIds")) {
    if (auto s = StringArray(*users, "toUserIds", &env.to_user_ids); !s) return Error{s.error()};
  }
  if (const json* recipients = Field(value, "recipients")) {
    if (!recipients->is_object()) return Error{"recipients: must be an object, got " + TypeName(*recipients)};
    if (const json* email = Field(*recipients, "email")) {
      if (auto s = StringArray(*email, "recipients.email", &env.email_recipients); !s) return Error{s.error()};
      for (size_t i = 0; i < env.email_recipients.size(); ++i) {
        if (!LooksLikeEmail(env.email_recipients[i])) {
          return Error{"recipients.email[" + std::to_string(i) +
                       "]: not an email address: " + QuoteForReason(env.email_recipients[i])};
        }
      }
    }
  }

  env.json = std::move(value);
  env.raw = std::move(raw);
  return env;
}

}  // namespace

Result<Envelope> ParseEnvelope(std::string_view record, const EnvelopeLimits& limits) {
  if (record.size() > limits.max_bytes) {
    return Error{"record is " + std::to_string(record.size()) + " bytes, over the " + std::to_string(limits.max_bytes) +
                 "-byte limit"};
  }
  if (record.empty()) return Error{"record is empty (no value)"};
  if (json_util::TextDepth(record, limits.max_depth) > limits.max_depth) {
    return Error{"record nests arrays/objects deeper than " + std::to_string(limits.max_depth) + " levels"};
  }
  auto value = json_util::Parse(record, limits.max_depth);
  if (!value) return Error{"not valid JSON: " + value.error()};
  return Validate(std::move(*value), std::string(record));
}

Result<Envelope> ValidateEnvelope(json value, const EnvelopeLimits& limits) {
  if (json_util::ValueDepth(value, limits.max_depth) > limits.max_depth) {
    return Error{"record nests arrays/objects deeper than " + std::to_string(limits.max_depth) + " levels"};
  }
  auto raw = json_util::Dump(value);
  if (!raw) return Error{"record " + raw.error()};
  if (raw->size() > limits.max_bytes) {
    return Error{"record is " + std::to_string(raw->size()) + " bytes, over the " + std::to_string(limits.max_bytes) +
                 "-byte limit"};
  }
  return Validate(std::move(value), std::move(*raw));
}

Status CheckContentVersion(const Envelope& envelope, int accepted_major) {
  if (envelope.content_version.major == accepted_major) return OkStatus();
  return Error{"content.version " + QuoteForReason(envelope.content_version.text) + " has major version " +
               std::to_string(envelope.content_version.major) + "; the template accepts major version " +
               std::to_string(accepted_major)};
}

Result<Envelope> NewEnvelope(const EnvelopeDraft& draft, std::chrono::system_clock::time_point now) {
  std::string id = draft.global_id;
  if (id.empty()) {
    auto fresh = NewUuidV4();
    if (!fresh) return Error{fresh.error()};
    id = std::move(*fresh);
  }
  json value = {
      {"globalId", id}, {"from", draft.from}, {"createdAt", FormatRfc3339Utc(now)}, {"content", draft.content}};
  if (!draft.type.empty()) value["type"] = draft.type;
  if (!draft.created_by.empty()) value["createdBy"] = draft.created_by;
  if (!draft.to_user_ids.empty()) value["toUserIds"] = draft.to_user_ids;
  if (!draft.email_recipients.empty()) value["recipients"] = {{"email", draft.email_recipients}};
  auto record = json_util::Dump(value);
  if (!record) return Error{"envelope " + record.error()};
  return ParseEnvelope(*record);
}

Result<std::string> NewUuidV4() {
  std::array<unsigned char, 16> b{};
  if (RAND_bytes(b.data(), static_cast<int>(b.size())) != 1) return Error{"random generator failed"};
  b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40);  // version 4
  b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);  // RFC 4122 variant
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(36);
  for (size_t i = 0; i < b.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
    out += kHex[b[i] >> 4];
    out += kHex[b[i] & 0x0f];
  }
  return out;
}

bool IsUuid(std::string_view text) {
  if (text.size() != 36) return false;
  for (size_t i = 0; i < text.size(); ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? text[i] != '-' : !IsHex(text[i])) return false;
  }
  return true;
}

Result<UtcMicros> ParseRfc3339(std::string_view s) {
  using namespace std::chrono;
  const auto bad = [&](const std::string& why) {
    return Error{"not an RFC 3339 date-time (" + why + "): " + QuoteForReason(s)};
  };
  // full-date "T" partial-time time-offset; RFC 3339 (5.6) allows "t" and "z".
  if (s.size() < 20) return bad("too short; expected e.g. 2026-11-22T10:15:00Z");
  const int year = Digits(s, 0, 4);
  const int month = Digits(s, 5, 2);
  const int day = Digits(s, 8, 2);
  if (year < 0 || s[4] != '-' || month < 0 || s[7] != '-' || day < 0) return bad("date must be YYYY-MM-DD");
  if (s[10] != 'T' && s[10] != 't') return bad("date and time must be separated by \"T\"");
  const int hour = Digits(s, 11, 2);
  const int minute = Digits(s, 14, 2);
  const int second = Digits(s, 17, 2);
  if (hour < 0 || s[13] != ':' || minute < 0 || s[16] != ':' || second < 0) return bad("time must be hh:mm:ss");
  if (month < 1 || month > 12) return bad("month out of range");
  const year_month_day date{std::chrono::year{year}, std::chrono::month{static_cast<unsigned>(month)},
                            std::chrono::day{static_cast<unsigned>(day)}};
  if (day < 1 || !date.ok()) return bad("day out of range for the month");
  if (hour > 23) return bad("hour out of range");
  if (minute > 59) return bad("minute out of range");
  if (second > 60) return bad("second out of range");

  size_t pos = 19;
  int64_t micros = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    const size_t start = pos;
    int64_t scale = 100000;
    while (pos < s.size() && IsDigit(s[pos])) {
      micros += (s[pos] - '0') * scale;
      scale /= 10;
      ++pos;
    }
    if (pos == start) return bad("a fraction needs at least one digit after \".\"");
  }
  if (pos >= s.size()) return bad("missing time offset (\"Z\" or +hh:mm)");
  int offset_minutes = 0;
  if (s[pos] == 'Z' || s[pos] == 'z') {
    ++pos;
  } else if (s[pos] == '+' || s[pos] == '-') {
    const int oh = Digits(s, pos + 1, 2);
    const int om = Digits(s, pos + 4, 2);
    if (oh < 0 || pos + 3 >= s.size() || s[pos + 3] != ':' || om < 0) return bad("offset must be +hh:mm or -hh:mm");
    if (oh > 23 || om > 59) return bad("offset out of range");
    offset_minutes = (oh * 60 + om) * (s[pos] == '-' ? -1 : 1);
    pos += 6;
  } else {
    return bad("time offset must be \"Z\", +hh:mm or -hh:mm");
  }
  if (pos != s.size()) return bad("unexpected text after the time offset");

  // A leap second is only ever inserted as 23:59:60 UTC.
  const int utc_minute_of_day = ((hour * 60 + minute - offset_minutes) % 1440 + 1440) % 1440;
  if (second == 60 && utc_minute_of_day != 23 * 60 + 59) return bad("second 60 is only valid at 23:59 UTC");

  const UtcMicros local =
      sys_days{date} + hours{hour} + std::chrono::minutes{minute} + seconds{second} + microseconds{micros};
  return local - std::chrono::minutes{offset_minutes};
}

std::string FormatRfc3339Utc(std::chrono::system_clock::time_point t) { return FormatRfc3339(t, 3); }

}  // namespace herald
