#pragma once
// The record a worker writes to the lifecycle events topic for each
// delivery outcome (see docs/sidecar-config.md, eventsTopic).
#include <optional>
#include <string>

namespace herald::sidecar {

struct LifecycleEvent {
  std::string global_id;
  std::string channel;
  std::string event;  // delivered | retrying | dead-lettered ...
  int attempt = 0;
  std::string at;  // RFC 3339
  std::optional<double> latency_ms;
  std::string reason;  // "" = none
};

// Returns the event as one JSON object, keys in the order nlohmann::json's
// own object dump gives (alphabetical), invalid UTF-8 replaced by U+FFFD.
// Written field by field rather than through a json DOM: building and
// dumping a json object was 12% of the sidecar's instructions per message;
// the strings and the number still go through nlohmann's serializer, so
// escaping and number formatting are the library's.
[[nodiscard]] std::string LifecycleEventJson(const LifecycleEvent& e);

}  // namespace herald::sidecar
