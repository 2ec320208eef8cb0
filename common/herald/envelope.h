#pragma once
// The v1 envelope: the JSON object every Kafka record value on a channel topic
// carries (contracts.md, "The envelope"). Parsing is strict about the fields
// Herald relies on and ignores everything else, so producers can add fields
// without breaking older workers. Every rejection carries a reason naming the
// field; the sidecar puts it in the dead letter's `herald-error` header.
//
// Pure: no I/O except NewUuidV4 (OpenSSL's random generator).
#include <chrono>
#include <cstddef>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "herald/result.h"

namespace herald {

// Microsecond precision covers RFC 3339's whole year range (0000-9999), which
// system_clock's nanoseconds do not.
using UtcMicros = std::chrono::sys_time<std::chrono::microseconds>;

struct ContentVersion {
  int major = 0;
  std::optional<int> minor;  // absent when written "MAJOR"
  std::string text;          // as written, e.g. "1.2"
};

struct Envelope {
  // The whole record value as parsed; templates see all of it, including
  // fields this version of Herald does not know.
  nlohmann::json json;
  // The record value exactly as received: the default webhook body.
  std::string raw;

  std::string global_id;
  std::string from;
  std::string created_at;  // as written
  UtcMicros created_at_utc{};
  ContentVersion content_version;
  std::string type;                           // empty when absent
  std::string created_by;                     // empty when absent
  std::vector<std::string> to_user_ids;       // empty when absent
  std::vector<std::string> email_recipients;  // recipients.email; empty when absent
};

struct EnvelopeLimits {
  // About Kafka's default message.max.bytes; a larger record is rejected unread.
  size_t max_bytes = 1024 * 1024;
  // Arrays and objects nested deeper than this are rejected: rendering and
  // serialising recurse, and a hostile record must not exhaust the stack.
  int max_depth = 64;
};

// Parses a Kafka record value as a v1 envelope.
// Returns the Envelope; or an Error whose message names the problem, e.g.
// "record is 2000000 bytes, over the 1048576-byte limit", "not valid JSON: ...",
// "globalId: missing", "content.version: must be \"MAJOR\" or \"MAJOR.MINOR\", got \"v2\"".
[[nodiscard]] Result<Envelope> ParseEnvelope(std::string_view record, const EnvelopeLimits& limits = {});

// Validates an already parsed JSON value as a v1 envelope (for example a
// Template's spec.sample). `raw` of the result is `value` serialised.
// Returns the Envelope, or an Error as ParseEnvelope does.
[[nodiscard]] Result<Envelope> ValidateEnvelope(nlohmann::json value, const EnvelopeLimits& limits = {});

// Returns OkStatus() when the envelope's content major version is
// `accepted_major` (a Template's contentVersion); otherwise an Error such as
// "content.version \"2.1\" has major version 2; the template accepts major version 1".
[[nodiscard]] Status CheckContentVersion(const Envelope& envelope, int accepted_major);

// Fields for a new envelope, as `heraldctl send` collects them.
struct EnvelopeDraft {
  std::string from;
  nlohmann::json content;  // an object with "version"
  std::string type;        // optional
  std::string created_by;  // optional
  std::vector<std::string> to_user_ids;
  std::vector<std::string> email_recipients;
  std::string global_id;  // empty: a new random UUID v4
};

// Builds an envelope stamped with `now` (createdAt, UTC, milliseconds) and,
// unless the draft names one, a new random globalId. The result went through
// ParseEnvelope, so a sidecar reads it exactly as built; its `raw` is the
// record value to produce and its `global_id` the record key.
// Returns the Envelope, or an Error naming the draft field that is invalid, or
// "random generator failed" when OpenSSL cannot supply randomness.
[[nodiscard]] Result<Envelope> NewEnvelope(const EnvelopeDraft& draft, std::chrono::system_clock::time_point now);

// Returns a random (version 4) UUID in lower-case canonical form, or an Error
// when OpenSSL's random generator fails.
[[nodiscard]] Result<std::string> NewUuidV4();

// Returns true for the canonical 8-4-4-4-12 hexadecimal form (either case).
// Any version and variant are accepted: producers choose their own UUIDs.
[[nodiscard]] bool IsUuid(std::string_view text);

// Parses an RFC 3339 date-time ("2026-11-22T10:15:00Z",
// "2026-11-22T11:15:00.5+01:00"). Fractions beyond microseconds are truncated;
// a leap second (":60") is accepted only at 23:59 UTC.
// Returns the instant in UTC, or an Error saying what is wrong (without the
// field name; callers prefix it).
[[nodiscard]] Result<UtcMicros> ParseRfc3339(std::string_view text);

// Formats `t` as RFC 3339 in UTC with milliseconds: "2026-11-22T10:15:00.123Z".
[[nodiscard]] std::string FormatRfc3339Utc(std::chrono::system_clock::time_point t);

}  // namespace herald
