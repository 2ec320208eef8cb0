#include "herald/timefmt.h"

#include <array>
#include <cstdio>

namespace herald {

std::string FormatRfc3339(std::chrono::system_clock::time_point t, int fraction_digits) {
  using namespace std::chrono;
  const auto us = floor<microseconds>(t);
  const auto day = floor<days>(us);
  const year_month_day date{day};
  const hh_mm_ss<microseconds> time{us - day};
  std::array<char, 48> buf{};
  int n = std::snprintf(buf.data(), buf.size(), "%04d-%02u-%02uT%02d:%02d:%02d", static_cast<int>(date.year()),
                        static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                        static_cast<int>(time.hours().count()), static_cast<int>(time.minutes().count()),
                        static_cast<int>(time.seconds().count()));
  const long long micros = time.subseconds().count();
  if (fraction_digits > 3) {
    n += std::snprintf(buf.data() + n, buf.size() - n, ".%06lld", micros);
  } else if (fraction_digits > 0) {
    n += std::snprintf(buf.data() + n, buf.size() - n, ".%03lld", micros / 1000);
  }
  std::snprintf(buf.data() + n, buf.size() - n, "Z");
  return buf.data();
}

}  // namespace herald
