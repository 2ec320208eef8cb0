#include "sidecar/core/retry_after.h"

#include <algorithm>
#include <array>
#include <cctype>

namespace herald::sidecar {
namespace {

using std::chrono::nanoseconds;
using std::chrono::seconds;

constexpr std::array<std::string_view, 7> kDays = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
constexpr std::array<std::string_view, 7> kLongDays = {"Monday", "Tuesday",  "Wednesday", "Thursday",
                                                       "Friday", "Saturday", "Sunday"};
constexpr std::array<std::string_view, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

std::string_view Trim(std::string_view s) {
  auto ws = [](char c) { return c == ' ' || c == '\t'; };
  while (!s.empty() && ws(s.front())) s.remove_prefix(1);
  while (!s.empty() && ws(s.back())) s.remove_suffix(1);
  return s;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

// A cursor over the header value; every method consumes on success only.
class Cursor {
 public:
  explicit Cursor(std::string_view s) : s_(s) {}
  bool Done() const { return s_.empty(); }

  bool Literal(std::string_view lit) {
    if (s_.substr(0, lit.size()) != lit) return false;
    s_.remove_prefix(lit.size());
    return true;
  }

  // Exactly `n` digits.
  bool Digits(size_t n, int& out) {
    if (s_.size() < n) return false;
    int v = 0;
    for (size_t i = 0; i < n; ++i) {
      if (!std::isdigit(static_cast<unsigned char>(s_[i]))) return false;
      v = v * 10 + (s_[i] - '0');
    }
    out = v;
    s_.remove_prefix(n);
    return true;
  }

  // One of `names`, case-insensitively; `index` is its position.
  template <size_t N>
  bool OneOf(const std::array<std::string_view, N>& names, int& index) {
    // Try longer names first so "Sunday" is not read as "Sun" + "day".
    int best = -1;
    for (size_t i = 0; i < N; ++i) {
      if (EqualsIgnoreCase(s_.substr(0, names[i].size()), names[i]) &&
          (best < 0 || names[i].size() > names[best].size())) {
        best = static_cast<int>(i);
      }
    }
    if (best < 0) return false;
    s_.remove_prefix(names[best].size());
    index = best;
    return true;
  }

  // "HH:MM:SS"
  bool Time(int& h, int& m, int& s) {
    Cursor c = *this;
    if (c.Digits(2, h) && c.Literal(":") && c.Digits(2, m) && c.Literal(":") && c.Digits(2, s)) {
      *this = c;
      return true;
    }
    return false;
  }

 private:
  std::string_view s_;
};

std::optional<WallTime> Make(int year, int month, int day, int h, int m, int s) {
  using namespace std::chrono;
  // 60 is allowed by the grammar for leap seconds; system_clock has none.
  if (h > 23 || m > 59 || s > 60) return std::nullopt;
  year_month_day ymd{std::chrono::year{year}, std::chrono::month{static_cast<unsigned>(month)},
                     std::chrono::day{static_cast<unsigned>(day)}};
  if (!ymd.ok()) return std::nullopt;
  sys_seconds t = sys_days{ymd} + hours{h} + minutes{m} + seconds{std::min(s, 59)};
  // system_clock counts nanoseconds here: about 1678..2262. Saturate instead
  // of overflowing; callers only compare such dates with "now".
  if (t >= time_point_cast<seconds>(WallTime::max())) return WallTime::max();
  if (t <= time_point_cast<seconds>(WallTime::min())) return WallTime::min();
  return time_point_cast<WallTime::duration>(t);
}

// "Sun, 06 Nov 1994 08:49:37 GMT"
std::optional<WallTime> ImfFixdate(std::string_view v) {
  Cursor c(v);
  int wd, day, mon, year, h, m, s;
  if (c.OneOf(kDays, wd) && c.Literal(", ") && c.Digits(2, day) && c.Literal(" ") && c.OneOf(kMonths, mon) &&
      c.Literal(" ") && c.Digits(4, year) && c.Literal(" ") && c.Time(h, m, s) && c.Literal(" GMT") && c.Done()) {
    return Make(year, mon + 1, day, h, m, s);
  }
  return std::nullopt;
}

// "Sunday, 06-Nov-94 08:49:37 GMT"
std::optional<WallTime> Rfc850(std::string_view v, WallTime now) {
  Cursor c(v);
  int wd, day, mon, yy, h, m, s;
  if (!(c.OneOf(kLongDays, wd) && c.Literal(", ") && c.Digits(2, day) && c.Literal("-") && c.OneOf(kMonths, mon) &&
        c.Literal("-") && c.Digits(2, yy) && c.Literal(" ") && c.Time(h, m, s) && c.Literal(" GMT") && c.Done())) {
    return std::nullopt;
  }
  using namespace std::chrono;
  int this_year = static_cast<int>(year_month_day{floor<days>(now)}.year());
  int year = this_year - this_year % 100 + yy;
  if (year > this_year + 50) year -= 100;  // RFC 9110 section 5.6.7
  return Make(year, mon + 1, day, h, m, s);
}

// "Sun Nov  6 08:49:37 1994" (the day is space-padded to two characters)
std::optional<WallTime> Asctime(std::string_view v) {
  Cursor c(v);
  int wd, day, mon, year, h, m, s;
  if (!(c.OneOf(kDays, wd) && c.Literal(" ") && c.OneOf(kMonths, mon) && c.Literal(" "))) return std::nullopt;
  if (!(c.Literal(" ") ? c.Digits(1, day) : c.Digits(2, day))) return std::nullopt;
  if (c.Literal(" ") && c.Time(h, m, s) && c.Literal(" ") && c.Digits(4, year) && c.Done()) {
    return Make(year, mon + 1, day, h, m, s);
  }
  return std::nullopt;
}

}  // namespace

std::optional<WallTime> ParseHttpDate(std::string_view value, WallTime now) {
  value = Trim(value);
  if (auto t = ImfFixdate(value)) return t;
  if (auto t = Rfc850(value, now)) return t;
  return Asctime(value);
}

std::optional<nanoseconds> ParseRetryAfter(std::string_view value, WallTime now, nanoseconds cap) {
  value = Trim(value);
  if (value.empty()) return std::nullopt;
  cap = std::max(cap, nanoseconds{0});
  if (std::all_of(value.begin(), value.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); })) {
    // Clamp while reading so "99999999999999999999" cannot overflow.
    const int64_t cap_s = std::chrono::ceil<seconds>(cap).count();
    int64_t secs = 0;
    for (char c : value) {
      secs = secs * 10 + (c - '0');
      if (secs > cap_s) return cap;
    }
    return std::min<nanoseconds>(seconds{secs}, cap);
  }
  auto when = ParseHttpDate(value, now);
  if (!when) return std::nullopt;
  if (*when <= now) return nanoseconds{0};
  // Compare before subtracting into nanoseconds: far-future dates overflow.
  if (*when - now >= cap) return cap;
  return std::chrono::duration_cast<nanoseconds>(*when - now);
}

}  // namespace herald::sidecar
