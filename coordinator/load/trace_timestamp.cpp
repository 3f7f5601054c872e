#include "coordinator/load/trace_timestamp.hpp"

#include <cctype>

namespace tpbench {
namespace {

// Reads exactly `digits` decimal digits at text[pos].
std::optional<int64_t> read_digits(std::string_view text, size_t& pos, size_t digits) {
  if (pos + digits > text.size()) return std::nullopt;
  int64_t value = 0;
  for (size_t k = 0; k < digits; ++k) {
    const char c = text[pos + k];
    if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
    value = value * 10 + (c - '0');
  }
  pos += digits;
  return value;
}

bool expect(std::string_view text, size_t& pos, char c) {
  if (pos >= text.size() || text[pos] != c) return false;
  ++pos;
  return true;
}

// Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar (Howard Hinnant's
// days_from_civil).
int64_t days_from_civil(int64_t y, int64_t m, int64_t d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

bool leap(int64_t y) {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int64_t days_in_month(int64_t y, int64_t m) {
  constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && leap(y) ? 29 : kDays[m - 1];
}

}  // namespace

std::optional<int64_t> parse_trace_timestamp(std::string_view text) {
  size_t pos = 0;
  const auto year = read_digits(text, pos, 4);
  if (!year || !expect(text, pos, '-')) return std::nullopt;
  const auto month = read_digits(text, pos, 2);
  if (!month || !expect(text, pos, '-')) return std::nullopt;
  const auto day = read_digits(text, pos, 2);
  if (!day || !(expect(text, pos, ' ') || expect(text, pos, 'T'))) return std::nullopt;
  const auto hour = read_digits(text, pos, 2);
  if (!hour || !expect(text, pos, ':')) return std::nullopt;
  const auto minute = read_digits(text, pos, 2);
  if (!minute || !expect(text, pos, ':')) return std::nullopt;
  const auto second = read_digits(text, pos, 2);
  if (!second) return std::nullopt;
  if (*month < 1 || *month > 12 || *day < 1 || *day > days_in_month(*year, *month) || *hour > 23 ||
      *minute > 59 || *second > 59)
    return std::nullopt;

  int64_t fraction_ns = 0;
  if (expect(text, pos, '.')) {
    int64_t scale = 100000000;
    size_t digits = 0;
    while (pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos]))) {
      if (++digits > 9) return std::nullopt;
      fraction_ns += (text[pos++] - '0') * scale;
      scale /= 10;
    }
    if (digits == 0) return std::nullopt;
  }

  int64_t offset_s = 0;  // the zone's offset east of UTC
  if (expect(text, pos, 'Z')) {
  } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    const int64_t sign = text[pos++] == '+' ? 1 : -1;
    const auto zone_hour = read_digits(text, pos, 2);
    if (!zone_hour || !expect(text, pos, ':')) return std::nullopt;
    const auto zone_minute = read_digits(text, pos, 2);
    if (!zone_minute || *zone_hour > 23 || *zone_minute > 59) return std::nullopt;
    offset_s = sign * (*zone_hour * 3600 + *zone_minute * 60);
  }
  if (pos != text.size()) return std::nullopt;

  const int64_t seconds = days_from_civil(*year, *month, *day) * 86400 + *hour * 3600 +
                          *minute * 60 + *second - offset_s;
  return seconds * 1000000000 + fraction_ns;
}

}  // namespace tpbench
