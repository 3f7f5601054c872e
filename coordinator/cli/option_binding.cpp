#include "coordinator/cli/option_binding.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <sstream>

namespace tpbench::cli {
namespace {

std::string number(double value) {
  std::ostringstream s;
  s << value;
  return s.str();
}

}  // namespace

std::optional<double> parse_real(const std::string& text) {
  if (text.empty()) return std::nullopt;
  char* end = nullptr;
  errno = 0;
  const double value = std::strtod(text.c_str(), &end);
  if (*end != '\0' || errno == ERANGE) return std::nullopt;
  return value;
}

std::optional<long long> parse_integer(const std::string& text) {
  const char* begin = text.data();
  const char* end = text.data() + text.size();
  if (begin != end && *begin == '+') ++begin;
  long long value = 0;
  const auto [stop, error] = std::from_chars(begin, end, value);
  if (begin == end || error != std::errc{} || stop != end) return std::nullopt;
  return value;
}

std::string describe_bounds(const Bounds& b) {
  const bool has_lo = std::isfinite(b.lo), has_hi = std::isfinite(b.hi);
  if (has_lo && has_hi)
    return std::string(b.lo_open ? "(" : "[") + number(b.lo) + ", " + number(b.hi) + "]";
  if (has_lo) return (b.lo_open ? "> " : ">= ") + number(b.lo) + (b.plus_infinity ? " or inf" : "");
  if (has_hi) return "<= " + number(b.hi);
  return "";
}

std::string bounds_violation(const Bounds& b, double value) {
  const bool above_lo = b.lo_open ? value > b.lo : value >= b.lo;
  if (above_lo && value <= b.hi) return "";
  const bool range = std::isfinite(b.lo) && std::isfinite(b.hi);
  return std::string("must be ") + (range ? "in " : "") + describe_bounds(b) + ", got " +
         number(value);
}

std::string flag_taken_as_value(const std::string& text, const std::string& flag) {
  if (text.empty() || text[0] != '-' || parse_real(text)) return "";
  return "expected a value, got '" + text +
         "' (only a number may start with '-'; an empty value is written " + flag + "=)";
}

CLI::Validator value_not_a_flag(const std::string& flag) {
  return CLI::Validator(
      [flag](std::string& text) -> std::string { return flag_taken_as_value(text, flag); }, "");
}

bool is_key_value_word(const std::string& text) {
  const size_t colon = text.find(':');
  if (colon == std::string::npos || colon == 0) return false;
  for (size_t i = 0; i < colon; ++i) {
    const char c = text[i];
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  }
  return true;
}

std::vector<std::string> normalize_arguments(const CLI::App& app, int argc, const char* const* argv,
                                             const std::vector<std::string>& word_list_flags) {
  std::vector<std::string> out;
  bool options_ended = false;  // after "--" every argument is a positional
  for (int i = 0; i < argc; ++i) {
    std::string arg = argv[i];
    if (i == 0 || options_ended) {
      out.push_back(arg);
      continue;
    }
    if (arg == "--") options_ended = true;
    const auto list_flag = std::find_if(
        word_list_flags.begin(), word_list_flags.end(),
        [&arg](const std::string& flag) { return arg == flag || arg.rfind(flag + "=", 0) == 0; });
    if (list_flag != word_list_flags.end()) {
      std::string value = arg.size() > list_flag->size() ? arg.substr(list_flag->size() + 1) : "";
      bool any = arg.size() > list_flag->size();
      while (i + 1 < argc && is_key_value_word(argv[i + 1])) {
        if (!value.empty()) value += ' ';
        value += argv[++i];
        any = true;
      }
      out.push_back(*list_flag);
      // Nothing follows: CLI11 reports the missing value (or takes the next word, which the
      // list's own parser refuses by name).
      if (any) out.push_back(value);
      continue;
    }
    // CLI11 allows one-letter names after a single dash only.
    if (arg == "-temp" || arg.rfind("-temp=", 0) == 0) arg = "--temperature" + arg.substr(5);
    if (arg.size() > 3 && arg.rfind("--", 0) == 0 && arg.back() == '=') {
      const std::string name = arg.substr(0, arg.size() - 1);
      const CLI::Option* opt = app.get_option_no_throw(name);
      if (opt != nullptr && opt->get_items_expected_max() > 0) {
        out.push_back(name);
        out.push_back("");
        continue;
      }
    }
    out.push_back(arg);
  }
  return out;
}

}  // namespace tpbench::cli
