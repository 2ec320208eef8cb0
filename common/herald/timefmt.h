#pragma once
// One RFC 3339 formatter for every timestamp Herald writes: log lines (ms),
// envelopes (ms), Lease MicroTime (µs), condition times (whole seconds).
#include <chrono>
#include <string>

namespace herald {

// Formats `t` in UTC as "2026-11-22T10:15:00Z" with `fraction_digits` (0, 3
// or 6; others are clamped to 6) digits of fractional seconds, truncated.
[[nodiscard]] std::string FormatRfc3339(std::chrono::system_clock::time_point t, int fraction_digits);

}  // namespace herald
