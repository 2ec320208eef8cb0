#include "herald/duration.h"

#include <array>
#include <cstdint>
#include <limits>
#include <utility>

namespace herald {
namespace {

struct Unit {
  std::string_view name;
  int64_t nanos;
};

// Longest names first so "ms" is not read as "m" followed by "s".
constexpr std::array<Unit, 7> kUnits{{{"ns", 1},
                                      {"us", 1'000},
                                      {"ms", 1'000'000},
                                      {"s", 1'000'000'000},
                                      {"m", 60'000'000'000},
                                      {"h", 3'600'000'000'000},
                                      {"µs", 1'000}}};

}  // namespace

std::optional<std::chrono::nanoseconds> ParseDuration(std::string_view text) {
  if (text.empty()) return std::nullopt;
  if (text == "0") return std::chrono::nanoseconds{0};
  int64_t total = 0;
  size_t i = 0;
  while (i < text.size()) {
    // Number with an optional fraction.
    int64_t whole = 0;
    size_t digits = 0;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      if (whole > (std::numeric_limits<int64_t>::max() - 9) / 10) return std::nullopt;
      whole = whole * 10 + (text[i] - '0');
      ++i;
      ++digits;
    }
    double fraction = 0;
    if (i < text.size() && text[i] == '.') {
      ++i;
      double scale = 0.1;
      while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
        fraction += (text[i] - '0') * scale;
        scale /= 10;
        ++i;
        ++digits;
      }
    }
    if (digits == 0) return std::nullopt;
    const Unit* unit = nullptr;
    for (const auto& u : kUnits) {
      if (text.substr(i, u.name.size()) == u.name && (unit == nullptr || u.name.size() > unit->name.size())) {
        unit = &u;
      }
    }
    if (unit == nullptr) return std::nullopt;
    i += unit->name.size();
    if (whole > std::numeric_limits<int64_t>::max() / unit->nanos) return std::nullopt;
    int64_t part = whole * unit->nanos + static_cast<int64_t>(fraction * static_cast<double>(unit->nanos));
    if (total > std::numeric_limits<int64_t>::max() - part) return std::nullopt;
    total += part;
  }
  return std::chrono::nanoseconds{total};
}

std::string FormatDuration(std::chrono::nanoseconds d) {
  int64_t n = d.count();
  if (n == 0) return "0s";
  std::string out;
  if (n < 0) {
    out = "-";
    n = -n;
  }
  if (n % 1'000'000'000 != 0) {
    for (auto [name, nanos] : {std::pair<const char*, int64_t>{"ms", 1'000'000}, {"us", 1'000}, {"ns", 1}}) {
      if (n % nanos == 0) return out + std::to_string(n / nanos) + name;
    }
  }
  int64_t s = n / 1'000'000'000;
  if (s >= 3600) {
    out += std::to_string(s / 3600) + "h";
    s %= 3600;
  }
  if (s >= 60) {
    out += std::to_string(s / 60) + "m";
    s %= 60;
  }
  if (s > 0) out += std::to_string(s) + "s";
  return out;
}

}  // namespace herald
