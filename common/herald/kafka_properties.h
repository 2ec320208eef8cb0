#pragma once
// librdkafka properties from a file: how Kafka security (TLS, SASL) reaches
// the operator's admin client. The file is a Secret key mounted into the
// operator (and, unchanged, into the workers), so one format serves both:
// Java-properties style `key=value` lines, which is what Kafka users already
// write for their clients.
#include <map>
#include <string>
#include <string_view>

#include "herald/result.h"

namespace herald::kafka {

using KafkaProperties = std::map<std::string, std::string>;

// Parses `text`: one `key=value` per line, split at the first '='; spaces
// around key and value are trimmed (a value keeps inner spaces and further
// '='); blank lines and lines whose first non-space character is '#' or '!'
// are skipped; a trailing '\r' is ignored. `source` names the text in errors.
// Returns the properties, or an error "<source>:<line>: ..." for a line
// without '=', an empty key, or a key given twice (a later line silently
// overriding an earlier one hides mistakes in a security setting). Errors
// never quote values: they may be passwords.
[[nodiscard]] Result<KafkaProperties> ParseKafkaProperties(std::string_view text, std::string_view source);

// Reads and parses the file at `path` as ParseKafkaProperties does.
// Errors: the file cannot be read ("<path>: <strerror>"), or a parse error.
[[nodiscard]] Result<KafkaProperties> LoadKafkaProperties(const std::string& path);

}  // namespace herald::kafka
