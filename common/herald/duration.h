#pragma once
// Durations as users write them in resources and configuration: Go's
// time.ParseDuration subset that Kubernetes users know ("500ms", "30s",
// "1m30s", "168h").
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace herald {

// Returns the duration, or std::nullopt when `text` is empty, has a unit other
// than ns/us/ms/s/m/h, a negative sign, or overflows.
[[nodiscard]] std::optional<std::chrono::nanoseconds> ParseDuration(std::string_view text);

// Formats like Go's time.Duration.String() for whole units ("1h0m0s" is
// written "1h"): the shortest form ParseDuration reads back to the same value.
[[nodiscard]] std::string FormatDuration(std::chrono::nanoseconds d);

}  // namespace herald
