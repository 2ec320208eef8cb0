#include "herald/envelope.h"

#include <gtest/gtest.h>

#include <functional>
#include <set>
#include <string>

#include "herald/envelope_json.h"

using namespace std::chrono_literals;

namespace herald {
namespace {

using nlohmann::json;

// The example from contracts.md, "The envelope".
constexpr const char* kContractExample = R"({
  "globalId": "0b7c4e0e-6a51-4d1c-9a39-3f1b2f7e8a10",
  "from": "billing-service",
  "type": "quota.exceeded",
  "toUserIds": ["u-1042"],
  "recipients": {"email": ["ops@example.com"]},
  "createdBy": "billing-service/worker-7",
  "createdAt": "2026-11-22T10:15:00Z",
  "content": {"version": "1.2", "project": "checkout", "used": 10500, "limit": 10000}
})";

json Minimal() {
  return {{"globalId", "00000000-0000-4000-8000-000000000000"},
          {"from", "docs"},
          {"createdAt", "2026-01-01T00:00:00Z"},
          {"content", {{"version", "1"}}}};
}

// Minimal() with `path` (a JSON pointer) set to `value`, or removed when
// `value` is discarded.
std::string With(const std::string& path, const json& value) {
  json j = Minimal();
  if (value.is_discarded()) {
    j.erase(json::json_pointer(path).back());  // top-level fields only
  } else {
    j[json::json_pointer(path)] = value;
  }
  return j.dump();
}

const json kRemove = json(json::value_t::discarded);

UtcMicros Utc(int y, unsigned mo, unsigned d, int h, int mi, int s, int64_t us = 0) {
  using namespace std::chrono;
  return sys_days{year{y} / month{mo} / day{d}} + hours{h} + minutes{mi} + seconds{s} + microseconds{us};
}

TEST(ParseEnvelope, ReadsTheContractExample) {
  auto env = ParseEnvelope(kContractExample);
  ASSERT_TRUE(env.ok()) << env.error();
  EXPECT_EQ(env->global_id, "0b7c4e0e-6a51-4d1c-9a39-3f1b2f7e8a10");
  EXPECT_EQ(env->from, "billing-service");
  EXPECT_EQ(env->type, "quota.exceeded");
  EXPECT_EQ(env->created_by, "billing-service/worker-7");
  EXPECT_EQ(env->created_at, "2026-11-22T10:15:00Z");
  EXPECT_EQ(env->created_at_utc, Utc(2026, 11, 22, 10, 15, 0));
  EXPECT_EQ(env->content_version.major, 1);
  EXPECT_EQ(env->content_version.minor, 2);
  EXPECT_EQ(env->content_version.text, "1.2");
  EXPECT_EQ(env->to_user_ids, std::vector<std::string>{"u-1042"});
  EXPECT_EQ(env->email_recipients, std::vector<std::string>{"ops@example.com"});
  EXPECT_EQ(env->json["content"]["used"], 10500);
  EXPECT_EQ(env->raw, kContractExample);
}

TEST(ParseEnvelope, AcceptsValidVariants) {
  struct Case {
    const char* name;
    std::string record;
  } cases[] = {
      {"minimal", Minimal().dump()},
      {"upper-case UUID", With("/globalId", "0B7C4E0E-6A51-4D1C-9A39-3F1B2F7E8A10")},
      {"major-only version", With("/content/version", "2")},
      {"null optional fields", With("/type", nullptr)},
      {"null recipients", With("/recipients", nullptr)},
      {"empty recipients", With("/recipients", json::object())},
      {"empty toUserIds", With("/toUserIds", json::array())},
      {"unknown top-level field", With("/priority", "high")},
      {"unknown recipients kind", With("/recipients", {{"sms", {"+15550100"}}})},
      {"offset time", With("/createdAt", "2026-01-01T01:00:00.250+01:00")},
      {"nested content", With("/content/items", json::parse(R"([{"a":[1,2,{"b":null}]}])"))},
      {"exactly 64 levels", With("/content/x", json::parse(std::string(62, '[') + std::string(62, ']')))},
  };
  for (const auto& c : cases) {
    auto env = ParseEnvelope(c.record);
    EXPECT_TRUE(env.ok()) << c.name << ": " << env.error();
  }
}

TEST(ParseEnvelope, KeepsUnknownFieldsForTemplates) {
  auto env = ParseEnvelope(With("/priority", "high"));
  ASSERT_TRUE(env.ok()) << env.error();
  EXPECT_EQ(env->json["priority"], "high");
}

TEST(ParseEnvelope, RejectsWithAReasonNamingTheField) {
  struct Case {
    std::string record;
    std::string reason;  // expected prefix of the error
  } cases[] = {
      {"", "record is empty"},
      {"not json", "not valid JSON: parse error at line 1, column 2"},
      {"{\"globalId\":", "not valid JSON: parse error"},
      {"\"text\"", "record must be a JSON object, got string"},
      {"[]", "record must be a JSON object, got array"},
      {std::string(65, '[') + std::string(65, ']'), "record nests arrays/objects deeper than 64 levels"},
      {With("/content/x", json::parse(std::string(63, '[') + std::string(63, ']'))),
       "record nests arrays/objects deeper than 64 levels"},
      {With("/globalId", kRemove), "globalId: missing"},
      {With("/globalId", nullptr), "globalId: missing"},
      {With("/globalId", 42), "globalId: must be a string, got number"},
      {With("/globalId", "abc"), "globalId: must be a UUID (8-4-4-4-12 hex digits), got \"abc\""},
      {With("/globalId", "0b7c4e0e6a514d1c9a393f1b2f7e8a10"), "globalId: must be a UUID"},
      {With("/globalId", "0b7c4e0e-6a51-4d1c-9a39-3f1b2f7e8a1g"), "globalId: must be a UUID"},
      {With("/globalId", "{0b7c4e0e-6a51-4d1c-9a39-3f1b2f7e8a10}"), "globalId: must be a UUID"},
      {With("/from", kRemove), "from: missing"},
      {With("/from", ""), "from: must not be empty"},
      {With("/from", json::array()), "from: must be a string, got array"},
      {With("/createdAt", kRemove), "createdAt: missing"},
      {With("/createdAt", 1767225600), "createdAt: must be a string, got number"},
      {With("/createdAt", "2026-13-01T00:00:00Z"), "createdAt: not an RFC 3339 date-time (month out of range)"},
      {With("/content", kRemove), "content: missing"},
      {With("/content", "hello"), "content: must be an object, got string"},
      {With("/content", json::object()), "content.version: missing"},
      {With("/content/version", 1), "content.version: must be a string such as \"1\" or \"1.2\", got number"},
      {With("/content/version", "v1"), "content.version: must be \"MAJOR\" or \"MAJOR.MINOR\" (digits), got \"v1\""},
      {With("/content/version", "1.2.3"), "content.version: must be \"MAJOR\" or \"MAJOR.MINOR\""},
      {With("/content/version", "1."), "content.version: must be"},
      {With("/content/version", ".1"), "content.version: must be"},
      {With("/content/version", ""), "content.version: must be"},
      {With("/content/version", "1 "), "content.version: must be"},
      {With("/content/version", "1234567890"), "content.version: must be"},
      {With("/type", 5), "type: must be a string, got number"},
      {With("/createdBy", true), "createdBy: must be a string, got boolean"},
      {With("/toUserIds", "u-1"), "toUserIds: must be an array of strings, got string"},
      {With("/toUserIds", json::array({"u-1", 2})), "toUserIds[1]: must be a string, got number"},
      {With("/recipients", json::array()), "recipients: must be an object, got array"},
      {With("/recipients/email", "ops@example.com"), "recipients.email: must be an array of strings, got string"},
      {With("/recipients/email", json::array({"ops"})), "recipients.email[0]: not an email address: \"ops\""},
      {With("/recipients/email", json::array({"a@b", "x@y\r\nBcc: evil@z"})), "recipients.email[1]: not an email"},
  };
  for (const auto& c : cases) {
    auto env = ParseEnvelope(c.record);
    ASSERT_FALSE(env.ok()) << c.record;
    EXPECT_EQ(env.error().substr(0, c.reason.size()), c.reason) << c.record << "\n  got: " << env.error();
  }
}

TEST(ParseEnvelope, RejectsOversizedRecordsUnread) {
  EnvelopeLimits limits;
  limits.max_bytes = 200;
  const std::string record = With("/from", std::string(200, 'x'));
  auto env = ParseEnvelope(record, limits);
  ASSERT_FALSE(env.ok());
  EXPECT_EQ(env.error(), "record is " + std::to_string(record.size()) + " bytes, over the 200-byte limit");
  EXPECT_TRUE(ParseEnvelope(Minimal().dump(), limits).ok());
}

TEST(ParseEnvelope, ReasonsArePrintableAscii) {
  for (const std::string& record : {std::string("\x01\xff{"), With("/globalId", "\x1b[31m\xc3\xa9"),
                                    std::string("{\"a\":\"\xff\"}"), With("/from", 1) + "\n\t\x7f"}) {
    auto env = ParseEnvelope(record);
    ASSERT_FALSE(env.ok());
    for (char c : env.error()) {
      EXPECT_TRUE(c >= 0x20 && c < 0x7f) << "byte " << static_cast<int>(static_cast<unsigned char>(c)) << " in "
                                         << env.error();
    }
  }
}

TEST(ParseEnvelope, RespectsTheDepthLimitParameter) {
  EnvelopeLimits limits;
  limits.max_depth = 3;
  EXPECT_TRUE(ParseEnvelope(With("/content/a", json::parse("[1]")), limits).ok());
  auto env = ParseEnvelope(With("/content/a", json::parse("[[1]]")), limits);
  ASSERT_FALSE(env.ok());
  EXPECT_EQ(env.error(), "record nests arrays/objects deeper than 3 levels");
  // Brackets inside strings are text, not nesting.
  EXPECT_TRUE(ParseEnvelope(With("/content/a", "[[[[[[\"\\\"]]]"), limits).ok());
}

TEST(ValidateEnvelope, ValidatesParsedValues) {
  auto env = ValidateEnvelope(Minimal());
  ASSERT_TRUE(env.ok()) << env.error();
  EXPECT_EQ(env->raw, Minimal().dump());
  auto bad = ValidateEnvelope(json::parse(With("/from", "")));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error(), "from: must not be empty");
  json deep = Minimal();
  json* at = &deep["content"]["x"];
  for (int i = 0; i < 100; ++i) at = &((*at)["y"] = json::object());
  auto too_deep = ValidateEnvelope(deep);
  ASSERT_FALSE(too_deep.ok());
  EXPECT_EQ(too_deep.error(), "record nests arrays/objects deeper than 64 levels");
  json bad_utf8 = Minimal();
  bad_utf8["from"] = "\xff";
  auto not_utf8 = ValidateEnvelope(bad_utf8);
  ASSERT_FALSE(not_utf8.ok());
  EXPECT_EQ(not_utf8.error(), "record contains a string that is not valid UTF-8");
}

TEST(CheckContentVersion, ComparesMajorVersions) {
  struct Case {
    const char* version;
    int accepted;
    bool ok;
  } cases[] = {{"1", 1, true},  {"1.0", 1, true},  {"1.7", 1, true},  {"01", 1, true},
               {"2", 1, false}, {"2.0", 1, false}, {"0.9", 1, false}, {"0", 0, true}};
  for (const auto& c : cases) {
    auto env = ParseEnvelope(With("/content/version", c.version));
    ASSERT_TRUE(env.ok()) << env.error();
    EXPECT_EQ(CheckContentVersion(*env, c.accepted).ok(), c.ok) << c.version << " vs " << c.accepted;
  }
  auto env = ParseEnvelope(With("/content/version", "2.1"));
  ASSERT_TRUE(env.ok());
  auto status = CheckContentVersion(*env, 1);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error(), "content.version \"2.1\" has major version 2; the template accepts major version 1");
}

TEST(ParseRfc3339, AcceptsValidTimestamps) {
  struct Case {
    const char* text;
    UtcMicros want;
  } cases[] = {
      {"2026-11-22T10:15:00Z", Utc(2026, 11, 22, 10, 15, 0)},
      {"2026-11-22t10:15:00z", Utc(2026, 11, 22, 10, 15, 0)},
      {"2026-11-22T10:15:00.5Z", Utc(2026, 11, 22, 10, 15, 0, 500000)},
      {"2026-11-22T10:15:00.123456Z", Utc(2026, 11, 22, 10, 15, 0, 123456)},
      {"2026-11-22T10:15:00.123456789Z", Utc(2026, 11, 22, 10, 15, 0, 123456)},
      {"2026-11-22T11:15:00+01:00", Utc(2026, 11, 22, 10, 15, 0)},
      {"2026-11-22T05:45:00-04:30", Utc(2026, 11, 22, 10, 15, 0)},
      {"2026-11-22T10:15:00-00:00", Utc(2026, 11, 22, 10, 15, 0)},
      {"2026-01-01T00:30:00+01:00", Utc(2025, 12, 31, 23, 30, 0)},
      {"2024-02-29T00:00:00Z", Utc(2024, 2, 29, 0, 0, 0)},
      {"2000-02-29T00:00:00Z", Utc(2000, 2, 29, 0, 0, 0)},
      {"2016-12-31T23:59:60Z", Utc(2017, 1, 1, 0, 0, 0)},
      {"2016-12-31T18:59:60-05:00", Utc(2017, 1, 1, 0, 0, 0)},
      {"0000-01-01T00:00:00Z", Utc(0, 1, 1, 0, 0, 0)},
      {"9999-12-31T23:59:59.999999Z", Utc(9999, 12, 31, 23, 59, 59, 999999)},
  };
  for (const auto& c : cases) {
    auto got = ParseRfc3339(c.text);
    ASSERT_TRUE(got.ok()) << c.text << ": " << got.error();
    EXPECT_EQ(*got, c.want) << c.text;
  }
}

TEST(ParseRfc3339, RejectsInvalidTimestamps) {
  struct Case {
    const char* text;
    const char* why;
  } cases[] = {
      {"", "too short"},
      {"2026-11-22", "too short"},
      {"2026-11-22T10:15:00", "too short"},
      {"2026-11-22T10:15:00.0", "missing time offset"},
      {"2026-11-22 10:15:00Z", "separated by \"T\""},
      {"2026/11/22T10:15:00Z", "date must be YYYY-MM-DD"},
      {"26-11-22T10:15:00Z+0", "date must be YYYY-MM-DD"},
      {"2026-1-22T10:15:00ZZZ", "date must be YYYY-MM-DD"},
      {"2026-11-22T10.15.00Z", "time must be hh:mm:ss"},
      {"2026-00-22T10:15:00Z", "month out of range"},
      {"2026-11-00T10:15:00Z", "day out of range"},
      {"2026-11-31T10:15:00Z", "day out of range"},
      {"2026-02-29T10:15:00Z", "day out of range"},
      {"1900-02-29T10:15:00Z", "day out of range"},
      {"2026-11-22T24:00:00Z", "hour out of range"},
      {"2026-11-22T10:60:00Z", "minute out of range"},
      {"2026-11-22T10:15:61Z", "second out of range"},
      {"2026-11-22T10:15:60Z", "second 60 is only valid at 23:59 UTC"},
      {"2016-12-31T23:59:60+01:00", "second 60 is only valid at 23:59 UTC"},
      {"2026-11-22T10:15:00.Z", "at least one digit"},
      {"2026-11-22T10:15:00,5Z", "time offset must be"},
      {"2026-11-22T10:15:00+0100", "offset must be +hh:mm"},
      {"2026-11-22T10:15:00+01", "offset must be +hh:mm"},
      {"2026-11-22T10:15:00+1:00", "offset must be +hh:mm"},
      {"2026-11-22T10:15:00+24:00", "offset out of range"},
      {"2026-11-22T10:15:00+01:60", "offset out of range"},
      {"2026-11-22T10:15:00ZZ", "unexpected text after"},
      {"2026-11-22T10:15:00+01:00 ", "unexpected text after"},
      {"2026-11-22T10:15:00 UTC", "time offset must be"},
  };
  for (const auto& c : cases) {
    auto got = ParseRfc3339(c.text);
    ASSERT_FALSE(got.ok()) << c.text;
    EXPECT_NE(got.error().find(c.why), std::string::npos) << c.text << ": " << got.error();
  }
}

TEST(FormatRfc3339Utc, WritesUtcWithMilliseconds) {
  using std::chrono::system_clock;
  struct Case {
    system_clock::time_point t;
    const char* want;
  } cases[] = {
      {system_clock::time_point{}, "1970-01-01T00:00:00.000Z"},
      {system_clock::time_point{1795342500123456us}, "2026-11-22T10:15:00.123Z"},
      {system_clock::time_point{-1ms}, "1969-12-31T23:59:59.999Z"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(FormatRfc3339Utc(c.t), c.want);
    auto back = ParseRfc3339(c.want);
    ASSERT_TRUE(back.ok()) << back.error();
    EXPECT_EQ(back->time_since_epoch(), std::chrono::floor<std::chrono::milliseconds>(c.t.time_since_epoch()));
  }
}

TEST(IsUuid, AcceptsOnlyTheCanonicalForm) {
  struct Case {
    const char* text;
    bool want;
  } cases[] = {
      {"0b7c4e0e-6a51-4d1c-9a39-3f1b2f7e8a10", true},
      {"00000000-0000-0000-0000-000000000000", true},
      {"ABCDEFAB-CDEF-ABCD-EFAB-CDEFABCDEFAB", true},
      {"0b7c4e0e-6a51-4d1c-9a39-3f1b2f7e8a1", false},
      {"0b7c4e0e-6a51-4d1c-9a39-3f1b2f7e8a100", false},
      {"0b7c4e0e_6a51_4d1c_9a39_3f1b2f7e8a10", false},
      {"0b7c4e0e6-a51-4d1c-9a39-3f1b2f7e8a10", false},
      {"urn:uuid:0b7c4e0e-6a51-4d1c-9a39-3f1b", false},
      {"", false},
  };
  for (const auto& c : cases) EXPECT_EQ(IsUuid(c.text), c.want) << c.text;
}

TEST(NewUuidV4, IsRandomVersion4) {
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    auto id = NewUuidV4();
    ASSERT_TRUE(id.ok()) << id.error();
    ASSERT_TRUE(IsUuid(*id)) << *id;
    EXPECT_EQ((*id)[14], '4') << *id;
    EXPECT_NE(std::string("89ab").find((*id)[19]), std::string::npos) << *id;
    EXPECT_EQ(*id, json(*id).get<std::string>());
    seen.insert(*id);
  }
  EXPECT_EQ(seen.size(), 100u);
}

TEST(NewEnvelope, BuildsWhatASidecarParses) {
  EnvelopeDraft draft;
  draft.from = "heraldctl";
  draft.type = "quota.exceeded";
  draft.created_by = "alice";
  draft.content = {{"version", "1.0"}, {"project", "demo"}};
  draft.to_user_ids = {"u-1"};
  draft.email_recipients = {"ops@example.com"};
  const std::chrono::system_clock::time_point now{1795342500123456us};
  auto env = NewEnvelope(draft, now);
  ASSERT_TRUE(env.ok()) << env.error();
  EXPECT_TRUE(IsUuid(env->global_id));
  EXPECT_EQ(env->created_at, "2026-11-22T10:15:00.123Z");
  EXPECT_EQ(env->from, "heraldctl");
  EXPECT_EQ(env->type, "quota.exceeded");
  EXPECT_EQ(env->created_by, "alice");
  EXPECT_EQ(env->to_user_ids, draft.to_user_ids);
  EXPECT_EQ(env->email_recipients, draft.email_recipients);
  auto reparsed = ParseEnvelope(env->raw);
  ASSERT_TRUE(reparsed.ok()) << reparsed.error();
  EXPECT_EQ(reparsed->json, env->json);
  EXPECT_EQ(reparsed->json["content"]["project"], "demo");

  auto other = NewEnvelope(draft, now);
  ASSERT_TRUE(other.ok());
  EXPECT_NE(other->global_id, env->global_id);

  draft.global_id = "0b7c4e0e-6a51-4d1c-9a39-3f1b2f7e8a10";
  auto fixed = NewEnvelope(draft, now);
  ASSERT_TRUE(fixed.ok());
  EXPECT_EQ(fixed->global_id, draft.global_id);
}

TEST(NewEnvelope, ReportsInvalidDrafts) {
  struct Case {
    const char* name;
    std::function<void(EnvelopeDraft&)> change;
    const char* reason;
  } cases[] = {
      {"no version",
       [](EnvelopeDraft& d) {
         d.content = {{"project", "x"}};
       },
       "content.version: missing"},
      {"content not an object", [](EnvelopeDraft& d) { d.content = "text"; }, "content: must be an object, got string"},
      {"empty from", [](EnvelopeDraft& d) { d.from = ""; }, "from: must not be empty"},
      {"bad id", [](EnvelopeDraft& d) { d.global_id = "nope"; }, "globalId: must be a UUID"},
      {"bad recipient", [](EnvelopeDraft& d) { d.email_recipients = {"nobody"}; }, "recipients.email[0]: not an email"},
      {"invalid UTF-8", [](EnvelopeDraft& d) { d.from = "\xff"; },
       "envelope contains a string that is not valid UTF-8"},
  };
  for (const auto& c : cases) {
    EnvelopeDraft draft;
    draft.from = "cli";
    draft.content = {{"version", "1"}};
    c.change(draft);
    auto env = NewEnvelope(draft, std::chrono::system_clock::now());
    ASSERT_FALSE(env.ok()) << c.name;
    EXPECT_EQ(env.error().rfind(c.reason, 0), 0u) << c.name << ": " << env.error();
  }
}

TEST(JsonUtil, QuotesForReasons) {
  struct Case {
    std::string in;
    size_t max;
    const char* want;
  } cases[] = {{"abc", 64, "\"abc\""},
               {"a\"b\\c", 64, "\"a\\\"b\\\\c\""},
               {"\n\x01\xc3\xa9", 64, "\"\\x0a\\x01\\xc3\\xa9\""},
               {"abcdef", 3, "\"abc...\""}};
  for (const auto& c : cases) EXPECT_EQ(json_util::QuoteForReason(c.in, c.max), c.want);
}

}  // namespace
}  // namespace herald
