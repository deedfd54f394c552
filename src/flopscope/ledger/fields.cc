#include "flopscope/ledger/fields.h"

#include <fmt/format.h>

#include <charconv>
#include <cmath>

#include "flopscope/util/text.h"

namespace flopscope {

std::string_view trim(std::string_view t) {
  while (!t.empty() && (t.front() == ' ' || t.front() == '\t')) t.remove_prefix(1);
  while (!t.empty() && (t.back() == ' ' || t.back() == '\t')) t.remove_suffix(1);
  return t;
}

namespace {
std::string quoted(std::string_view t) {
  constexpr size_t kMax = 60;
  std::string s = printable(t.substr(0, kMax));
  return "'" + s + (t.size() > kMax ? "...'" : "'");
}
}  // namespace

Result<double> parse_bounded(std::string_view text, double lo, double hi) {
  std::string_view t = trim(text);
  double v = 0;
  auto expected = [&] { return bad_input(fmt::format("expected a number in [{:g}, {:g}], got {}", lo, hi, quoted(text))); };
  if (t.empty()) return expected();
  if (t.front() == '+') t.remove_prefix(1);
  // from_chars takes "inf", "nan" and hex only in forms we reject here: digits, sign, '.', e.
  for (char c : t) {
    if (!((c >= '0' && c <= '9') || c == '.' || c == '-' || c == 'e' || c == 'E' || c == '+')) return expected();
  }
  auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), v, std::chars_format::general);
  if (ec != std::errc() || p != t.data() + t.size() || !std::isfinite(v) || v < lo || v > hi) return expected();
  return v == 0 ? 0.0 : v;  // no -0
}

int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

namespace {
bool digits(std::string_view t, size_t at, size_t n, int& out) {
  if (at + n > t.size()) return false;
  out = 0;
  for (size_t i = at; i < at + n; ++i) {
    if (t[i] < '0' || t[i] > '9') return false;
    out = out * 10 + (t[i] - '0');
  }
  return true;
}
}  // namespace

Result<double> parse_utc_time(std::string_view text) {
  std::string_view t = trim(text);
  auto expected = [&] { return bad_input("expected an ISO 8601 date and time, got " + quoted(text)); };
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
  if (!digits(t, 0, 4, y) || t.size() < 10 || (t[4] != '-' && t[4] != '/') || t[7] != t[4] || !digits(t, 5, 2, mo) ||
      !digits(t, 8, 2, d)) {
    return expected();
  }
  static constexpr int kDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (mo < 1 || mo > 12 || d < 1 || d > kDays[mo - 1]) return expected();
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  if (mo == 2 && d == 29 && !leap) return expected();
  size_t i = 10;
  double frac = 0;
  double offset = 0;
  if (i < t.size()) {
    if ((t[i] != 'T' && t[i] != ' ') || !digits(t, i + 1, 2, h) || i + 3 >= t.size() || t[i + 3] != ':' ||
        !digits(t, i + 4, 2, mi)) {
      return expected();
    }
    i += 6;
    if (i < t.size() && t[i] == ':') {
      if (!digits(t, i + 1, 2, s)) return expected();
      i += 3;
      if (i < t.size() && (t[i] == '.' || t[i] == ',')) {
        size_t j = i + 1;
        double scale = 0.1;
        while (j < t.size() && t[j] >= '0' && t[j] <= '9') {
          frac += (t[j] - '0') * scale;
          scale /= 10;
          ++j;
        }
        if (j == i + 1) return expected();
        i = j;
      }
    }
    if (h > 23 || mi > 59 || s > 60) return expected();
    if (i < t.size()) {
      if (t[i] == 'Z' || t[i] == 'z') {
        ++i;
      } else if (t[i] == '+' || t[i] == '-') {
        int oh = 0, om = 0;
        if (!digits(t, i + 1, 2, oh)) return expected();
        size_t j = i + 3;
        if (j < t.size() && t[j] == ':') ++j;
        if (!digits(t, j, 2, om) || oh > 23 || om > 59) return expected();
        offset = (t[i] == '+' ? 1 : -1) * (oh * 3600.0 + om * 60.0);
        i = j + 2;
      }
    }
    if (i != t.size()) return expected();
  }
  double v = static_cast<double>(days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d))) * 86400.0 +
             h * 3600.0 + mi * 60.0 + s + frac - offset;
  if (v < kLedgerMinUnixSeconds || v > kLedgerMaxUnixSeconds) return expected();
  return v;
}

std::string utc_day(double unix_seconds) {
  int64_t z = static_cast<int64_t>(std::floor(unix_seconds / 86400.0)) + 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t y0 = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return fmt::format("{:04}-{:02}-{:02}", y0 + (m <= 2), m, d);
}

size_t first_non_text_byte(std::string_view text) {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const size_t n = text.size();
  size_t i = 0;
  while (i < n) {
    const unsigned char c = p[i];
    if (c >= 0x01 && c < 0x80) {
      ++i;
      continue;
    }
    // RFC 3629: the lead byte says how many continuation bytes follow; overlong forms,
    // surrogates and code points above U+10FFFF are not UTF-8.
    size_t len = 0;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      if (c == 0xE0) lo = 0xA0;
      if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      if (c == 0xF0) lo = 0x90;
      if (c == 0xF4) hi = 0x8F;
    } else {
      return i;  // NUL, a stray continuation byte, or a lead byte UTF-8 never uses
    }
    if (i + len > n || p[i + 1] < lo || p[i + 1] > hi) return i;
    for (size_t k = 2; k < len; ++k) {
      if (p[i + k] < 0x80 || p[i + k] > 0xBF) return i;
    }
    i += len;
  }
  return std::string_view::npos;
}

}  // namespace flopscope
