#pragma once
// JSON helpers shared by envelope.cc and render.cc: parsing and serialising
// that never throw, never recurse without bound, and word their errors for
// dead-letter reasons.
#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "herald/result.h"

namespace herald::json_util {

// Quotes `value` for an error reason: printable ASCII only (other bytes as
// \xNN), at most `max` bytes of it, then "...". Reasons end up in Kafka
// headers and logs, whatever bytes the record held.
[[nodiscard]] std::string QuoteForReason(std::string_view value, size_t max = 64);

// Returns the deepest array/object nesting in JSON text (brackets inside
// strings do not count), or a number above `stop_above` as soon as it is
// exceeded. For invalid JSON the count is exact up to where a parser stops.
[[nodiscard]] int TextDepth(std::string_view text, int stop_above);

// The same for a parsed value; recursion never goes past `stop_above` + 1.
[[nodiscard]] int ValueDepth(const nlohmann::json& value, int stop_above);

// Parses `text`, rejecting nesting deeper than `max_depth` before building
// anything (serialising and walking a value recurse).
// Returns the value, or an Error such as "nests arrays/objects deeper than 64
// levels" or "parse error at line 1, column 5: syntax error ...".
[[nodiscard]] Result<nlohmann::json> Parse(std::string_view text, int max_depth);

// Returns OK when Parse would succeed, else Parse's Error. Builds no value
// (nlohmann's json::accept), so checking text that is sent as it is costs a
// fraction of parsing it.
[[nodiscard]] Status Check(std::string_view text, int max_depth);

// Returns the compact serialisation, or an Error when a string in `value` is
// not valid UTF-8 (which nlohmann only notices while serialising).
[[nodiscard]] Result<std::string> Dump(const nlohmann::json& value);

// "number" for every numeric type, else nlohmann's type name ("object", ...).
[[nodiscard]] std::string TypeName(const nlohmann::json& value);

}  // namespace herald::json_util
