#pragma once
// Retry-After (RFC 9110 section 10.2.3): how long a server asked us to wait,
// sent with 429 and 503. Both forms are accepted: delta-seconds ("120") and
// an HTTP-date in any of the three formats recipients must read.
#include <chrono>
#include <optional>
#include <string_view>

#include "sidecar/core/types.h"

namespace herald::sidecar {

// The longest wait a server can impose through Retry-After. Longer than any
// published Slack or Teams rate-limit window (they are per second or per
// minute), short enough that a bogus value (a date in 2099, "999999999")
// cannot park a channel for days.
inline constexpr std::chrono::seconds kMaxRetryAfter{600};

// Returns the delay the header value asks for, measured from `now` (wall
// clock, needed for the date form) and clamped to [0, cap]: a date in the
// past means "now", i.e. zero. Returns std::nullopt when the value is empty
// or neither form, so the caller falls back to its own backoff.
[[nodiscard]] std::optional<std::chrono::nanoseconds> ParseRetryAfter(std::string_view value, WallTime now,
                                                                      std::chrono::nanoseconds cap = kMaxRetryAfter);

// Returns the instant an HTTP-date names: IMF-fixdate ("Sun, 06 Nov 1994
// 08:49:37 GMT"), obsolete RFC 850 ("Sunday, 06-Nov-94 08:49:37 GMT"; a
// two-digit year more than 50 years after `now` means the previous century)
// or asctime ("Sun Nov  6 08:49:37 1994"). Names match case-insensitively
// and the weekday is not checked against the date (being lenient costs
// nothing here). Dates beyond what system_clock holds saturate to its
// min/max. Returns std::nullopt for anything else, including impossible
// dates such as 31 Feb.
[[nodiscard]] std::optional<WallTime> ParseHttpDate(std::string_view value, WallTime now);

}  // namespace herald::sidecar
